import { describe, expect, it } from '@jest/globals';
import { correlationOf } from './correlation.js';

describe('correlationOf', () => {
  it('keeps a valid trace and gives this hop its own span', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const correlation = correlationOf('req-1', `00-${traceId}-00f067aa0ba902b7-01`);
    expect(correlation).toMatchObject({ requestId: 'req-1', traceId });
    expect(correlation.spanId).not.toBe('00f067aa0ba902b7');
    expect(correlation.traceparent).toBe(`00-${traceId}-${correlation.spanId}-01`);
  });

  it.each([
    ['garbage'],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('starts a new trace for the invalid traceparent %s', (header) => {
    const correlation = correlationOf(undefined, header);
    expect(correlation.traceId).toMatch(/^[\da-f]{32}$/);
    expect(header).not.toContain(correlation.traceId);
  });

  it('replaces request ids that could inject into logs', () => {
    expect(correlationOf('evil\nline').requestId).toMatch(/^[\da-f-]{36}$/);
    expect(correlationOf('x'.repeat(201)).requestId).toMatch(/^[\da-f-]{36}$/);
  });
});
