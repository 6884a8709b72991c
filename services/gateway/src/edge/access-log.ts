import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { fixedShapeLogger, type LogContext, type Logger } from '@mercato/logger';
import { routeTemplate } from '@mercato/metrics';

/**
 * One line per request, in pino-http's shape (`req`, `res`, `responseTime`), carrying the
 * request's correlation. The query string is left out: search terms are the customer's business.
 */
export function accessLog(logger: Logger): RequestHandler {
  // The line's fields are built here from safe values only, so it skips path-based redaction.
  const log = fixedShapeLogger(logger);
  return (req, res, next) => {
    const startedAt = performance.now();
    res.once('close', () => {
      const context = res.locals.logContext as LogContext | undefined;
      const statusCode = res.writableFinished ? res.statusCode : 499;
      const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
      log[level](
        {
          // The request's correlation, as a child logger would bind it (a child per request
          // costs more than the line).
          requestId: context?.requestId,
          traceId: context?.traceId,
          spanId: context?.spanId,
          req: { method: req.method, url: req.path, route: routeTemplate(req) },
          res: { statusCode },
          responseTime: Math.round(performance.now() - startedAt),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
