const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const ALL_ZEROS = /^0+$/;

/** The parts of a valid W3C `traceparent` header. */
export interface TraceParent {
  traceparent: string;
  traceId: string;
  spanId: string;
  flags: string;
}

/**
 * Parses a W3C `traceparent` (HTTP header, gRPC metadata or Kafka header alike), or returns
 * undefined when it is not valid: version ff and all-zero ids are invalid by the specification,
 * and a caller that sends them must not have its broken trace carried through every service.
 */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  const match = TRACEPARENT.exec(header ?? '');
  if (!match) return undefined;
  const [traceparent, version = '', traceId = '', spanId = '', flags = ''] = match;
  if (version === 'ff' || ALL_ZEROS.test(traceId) || ALL_ZEROS.test(spanId)) return undefined;
  return { traceparent, traceId, spanId, flags };
}

/** The fields of a trace context that log lines and outgoing calls carry (none for no trace). */
export function traceFields(trace: TraceParent | undefined): {
  traceparent?: string;
  traceId?: string;
  spanId?: string;
} {
  return trace
    ? { traceparent: trace.traceparent, traceId: trace.traceId, spanId: trace.spanId }
    : {};
}
