import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  runWithLogContext,
  type LogContext,
} from '@mercato/logger';
import { routeTemplate } from '@mercato/metrics';
import { CORRELATION_METADATA } from '@mercato/service-kit/correlation';
import { SpanKind, SpanStatusCode, openSpan, tracingActive, type OpenSpan } from '@mercato/tracing';

/** Requests under this path are traced (the API); the rest are not. */
const TRACED_PREFIX = '/api/';

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
  return untracedCorrelation(requestIdOf(requestIdHeader), traceparentHeader);
}

/** The client's request id when it is short and printable, else a new one. */
function requestIdOf(header: string | undefined): string {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}

function untracedCorrelation(
  requestId: string,
  traceparentHeader: string | undefined,
): Correlation {
  const parent = parseTraceparent(traceparentHeader);
  const traceId = parent?.traceId ?? randomTraceId();
  const flags = parent?.flags ?? '00';
  const spanId = randomSpanId();
  return { requestId, traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}` };
}

/** A request's correlation, and its SERVER span when the request is traced. */
export interface TracedRequest {
  correlation: Correlation;
  span: OpenSpan | undefined;
}

/**
 * Opens a request: its correlation (as {@link correlationOf}) and, for API requests while tracing
 * is on, a SERVER span that continues the caller's trace (or starts one, as sampling decides).
 * Probes, metrics scrapes and storefront files are not traced: they would bury the shop's traces.
 */
export function openRequest(
  method: string,
  path: string,
  requestIdHeader: string | undefined,
  traceparentHeader: string | undefined,
): TracedRequest {
  const requestId = requestIdOf(requestIdHeader);
  const span =
    tracingActive() && path.startsWith(TRACED_PREFIX)
      ? openSpan(method, {
          kind: SpanKind.SERVER,
          parent: traceparentHeader,
          root: true,
          attributes: {
            'http.request.method': method,
            'url.path': path,
            'mercato.request_id': requestId,
          },
        })
      : undefined;
  if (span === undefined) {
    return { correlation: untracedCorrelation(requestId, traceparentHeader), span: undefined };
  }
  return {
    correlation: {
      requestId,
      traceId: span.traceId,
      spanId: span.spanId,
      traceparent: span.traceparent,
    },
    span,
  };
}

/**
 * Ends a request's span, named by its route template (`POST /api/v1/orders`), with the response
 * status; 5xx and abandoned requests fail it, as OpenTelemetry's HTTP server conventions say.
 */
export function endRequest(
  span: OpenSpan | undefined,
  method: string,
  route: string,
  statusCode: number | undefined,
): void {
  if (span === undefined) return;
  span.span.updateName(`${method} ${route}`);
  span.span.setAttribute('http.route', route);
  if (statusCode === undefined) {
    span.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away first' });
  } else {
    span.span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) span.span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.span.end();
}

/**
 * Opens the request's log context (so log lines and gRPC metadata carry it) and echoes the
 * request id and trace context in the response. The request's span ends when the response does.
 */
export function correlationMiddleware(): RequestHandler {
  return (req, res, next) => {
    const { correlation, span } = openRequest(
      req.method,
      req.path,
      req.get(CORRELATION_METADATA.requestId),
      req.get(CORRELATION_METADATA.traceparent),
    );
    res.locals.requestId = correlation.requestId;
    res.locals.traceId = correlation.traceId;
    res.locals.logContext = correlation;
    res.set(CORRELATION_METADATA.requestId, correlation.requestId);
    res.set(CORRELATION_METADATA.traceparent, correlation.traceparent);
    if (span !== undefined) {
      res.once('close', () => {
        endRequest(
          span,
          req.method,
          routeTemplate(req),
          res.writableFinished ? res.statusCode : undefined,
        );
      });
    }
    runWithLogContext(correlation, next);
  };
}
