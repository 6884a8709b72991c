import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  runWithLogContext,
  type LogContext,
} from '@mercato/logger';
import { CORRELATION_METADATA } from '@mercato/service-kit/correlation';

const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;

/** The correlation of one request: its request id and W3C trace context. */
export interface Correlation extends LogContext {
  requestId: string;
  traceId: string;
  spanId: string;
  traceparent: string;
}

/**
 * Reads or creates the correlation of a request. A valid incoming `traceparent` keeps its trace
 * id and flags and gets a new span id for this hop; otherwise a new trace starts. A request id the
 * client sent is kept when it is short and printable, so it cannot inject into logs.
 */
export function correlationOf(requestIdHeader?: string, traceparentHeader?: string): Correlation {
  const requestId =
    requestIdHeader && REQUEST_ID.test(requestIdHeader) ? requestIdHeader : randomUUID();
  const parent = parseTraceparent(traceparentHeader);
  const traceId = parent?.traceId ?? randomTraceId();
  const flags = parent?.flags ?? '00';
  const spanId = randomSpanId();
  return { requestId, traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}` };
}

/**
 * Opens the request's log context (so log lines and gRPC metadata carry it) and echoes the
 * request id and trace context in the response.
 */
export function correlationMiddleware(): RequestHandler {
  return (req, res, next) => {
    const correlation = correlationOf(
      req.get(CORRELATION_METADATA.requestId),
      req.get(CORRELATION_METADATA.traceparent),
    );
    res.locals.requestId = correlation.requestId;
    res.locals.logContext = correlation;
    res.set(CORRELATION_METADATA.requestId, correlation.requestId);
    res.set(CORRELATION_METADATA.traceparent, correlation.traceparent);
    runWithLogContext(correlation, next);
  };
}
