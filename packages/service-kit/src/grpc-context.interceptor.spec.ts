import { describe, expect, it } from '@jest/globals';
import { Metadata } from '@grpc/grpc-js';
import { correlationFromMetadata } from './grpc-context.interceptor.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function metadataWith(entries: Record<string, string>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

describe('correlationFromMetadata', () => {
  it('takes the request id and the ids of a valid traceparent', () => {
    const traceparent = `00-${TRACE_ID}-${SPAN_ID}-01`;
    expect(correlationFromMetadata(metadataWith({ 'x-request-id': 'abc', traceparent }))).toEqual({
      requestId: 'abc',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceparent,
    });
  });

  it('makes up a request id when the caller sent none, an empty one or an absurdly long one', () => {
    for (const metadata of [
      undefined,
      new Metadata(),
      metadataWith({ 'x-request-id': 'x'.repeat(201) }),
    ]) {
      expect(correlationFromMetadata(metadata).requestId).toMatch(/^[\da-f-]{36}$/);
    }
  });

  it.each([
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['garbage', 'not-a-traceparent'],
  ])('ignores a traceparent with %s', (_problem, traceparent) => {
    const correlation = correlationFromMetadata(
      metadataWith({ 'x-request-id': 'abc', traceparent }),
    );
    expect(correlation).toEqual({ requestId: 'abc' });
  });
});
