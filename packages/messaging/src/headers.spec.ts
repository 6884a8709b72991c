import { describe, expect, it } from '@jest/globals';
import { runWithLogContext } from '@mercato/logger';
import {
  correlationHeadersFromLogContext,
  deadLetterHeaders,
  headerText,
  logContextFromHeaders,
  textHeaders,
} from './headers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('headerText / textHeaders', () => {
  it('reads text and bytes, and the last of repeated values', () => {
    const headers = {
      a: 'text',
      b: Buffer.from('bytes'),
      c: ['first', Buffer.from('last')],
      d: undefined,
    };

    expect(headerText(headers, 'b')).toBe('bytes');
    expect(headerText(headers, 'missing')).toBeUndefined();
    expect(textHeaders(headers)).toEqual({ a: 'text', b: 'bytes', c: 'last' });
  });
});

describe('deadLetterHeaders', () => {
  it('keeps the original headers and adds where, why and when the message failed', () => {
    const original = { traceparent: TRACEPARENT, binary: Buffer.from([1, 2, 3]) };

    const headers = deadLetterHeaders(original, {
      error: new TypeError('boom'),
      topic: 'orders',
      partition: 2,
      offset: '41',
      consumerGroup: 'payment-service',
      attempts: 5,
      failedAt: new Date('2026-01-02T03:04:05.000Z'),
    });

    expect(headers).toEqual({
      traceparent: TRACEPARENT,
      binary: Buffer.from([1, 2, 3]),
      'x-error-message': 'boom',
      'x-error-type': 'TypeError',
      'x-original-topic': 'orders',
      'x-original-partition': '2',
      'x-original-offset': '41',
      'x-consumer-group': 'payment-service',
      'x-attempts': '5',
      'x-failed-at': '2026-01-02T03:04:05.000Z',
    });
  });

  it('describes a thrown non-error and shortens a very long message', () => {
    const thrown = deadLetterHeaders(undefined, {
      error: 'x'.repeat(5_000),
      topic: 't',
      partition: 0,
      offset: '0',
      consumerGroup: 'g',
      attempts: 1,
      failedAt: new Date(0),
    });

    expect(thrown['x-error-type']).toBe('string');
    expect(thrown['x-error-message']).toHaveLength(2_000);
  });
});

describe('trace context', () => {
  it('turns the ambient log context into record headers', () => {
    expect(correlationHeadersFromLogContext()).toEqual({});
    const headers = runWithLogContext({ traceparent: TRACEPARENT, requestId: 'req-1' }, () =>
      correlationHeadersFromLogContext(),
    );

    expect(headers).toEqual({ traceparent: TRACEPARENT, 'x-request-id': 'req-1' });
  });

  it('turns record headers back into a log context, dropping an invalid trace', () => {
    expect(
      logContextFromHeaders({ traceparent: Buffer.from(TRACEPARENT), 'x-request-id': 'req-1' }),
    ).toEqual({
      traceparent: TRACEPARENT,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      requestId: 'req-1',
    });
    expect(logContextFromHeaders({ traceparent: 'nonsense' })).toEqual({});
  });
});
