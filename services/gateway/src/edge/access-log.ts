import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { fixedShapeLogger, type LogContext, type Logger } from '@mercato/logger';
import { routeTemplate } from '@mercato/metrics';

/** One finished (or abandoned) request, as the access log records it. */
export interface AccessRecord {
  context: LogContext | undefined;
  method: string;
  /** The path without the query string: search terms are the customer's business. */
  path: string;
  /** The route template (never the raw path). */
  route: string;
  /** The status sent, or undefined when the client went away first (logged as 499). */
  statusCode: number | undefined;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
}

/**
 * Writes access log lines in pino-http's shape (`req`, `res`, `responseTime`), carrying the
 * request's correlation. The line's fields are built here from safe values only, so it skips
 * path-based redaction.
 */
export function accessLogWriter(logger: Logger): (record: AccessRecord) => void {
  const log = fixedShapeLogger(logger);
  return ({ context, method, path, route, statusCode, startedAt }) => {
    const status = statusCode ?? 499;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    log[level](
      {
        // The request's correlation, as a child logger would bind it (a child per request
        // costs more than the line).
        requestId: context?.requestId,
        traceId: context?.traceId,
        spanId: context?.spanId,
        req: { method, url: path, route },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - startedAt),
      },
      statusCode === undefined ? 'request aborted' : 'request completed',
    );
  };
}

/** One access log line per request (through `write`), when the response is done or abandoned. */
export function accessLog(write: (record: AccessRecord) => void): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    res.once('close', () => {
      write({
        context: res.locals.logContext as LogContext | undefined,
        method: req.method,
        path: req.path,
        route: routeTemplate(req),
        statusCode: res.writableFinished ? res.statusCode : undefined,
        startedAt,
      });
    });
    next();
  };
}
