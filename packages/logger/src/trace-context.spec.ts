import { describe, expect, it } from '@jest/globals';
import { isSampled, parseTraceparent, randomSpanId, randomTraceId } from './trace-context.js';

const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('returns the trace id, span id and flags of a valid header', () => {
    expect(parseTraceparent(valid)).toEqual({
      traceparent: valid,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: '01',
    });
  });

  it.each([
    undefined,
    '',
    'garbage',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
  ])('rejects %p', (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('randomTraceId and randomSpanId', () => {
  it('make valid, distinct ids across many pool refills', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const traceId = randomTraceId();
      const spanId = randomSpanId();
      expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toMatchObject({ traceId, spanId });
      traces.add(traceId);
      spans.add(spanId);
    }
    expect(traces.size).toBe(1_000);
    expect(spans.size).toBe(1_000);
  });
});

describe('isSampled', () => {
  it('reads the sampled bit of the flags', () => {
    expect(
      isSampled(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')),
    ).toBe(true);
    expect(
      isSampled(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03')),
    ).toBe(true);
    expect(
      isSampled(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')),
    ).toBe(false);
    expect(isSampled(undefined)).toBe(false);
  });
});
