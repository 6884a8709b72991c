import { randomFillSync } from 'node:crypto';

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

/** Whether a trace context's caller sampled it (the `sampled` bit of its flags). */
export function isSampled(trace: TraceParent | undefined): trace is TraceParent {
  return trace !== undefined && (parseInt(trace.flags, 16) & 1) === 1;
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

// Random bytes are drawn 4 KiB at a time: one randomFillSync per ~170 requests instead of two per
// request (each a system call into the CSPRNG).
const POOL_BYTES = 4_096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  // All zeros is invalid (and vanishingly unlikely); never hand one out.
  return ALL_ZEROS.test(hex) ? randomHex(bytes) : hex;
}

/** A new random W3C trace id (32 lower-case hex digits, never all zeros). */
export const randomTraceId = (): string => randomHex(16);

/** A new random W3C span id (16 lower-case hex digits, never all zeros). */
export const randomSpanId = (): string => randomHex(8);
