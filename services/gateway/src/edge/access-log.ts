import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { withContext, type Logger } from '@mercato/logger';
import { routeTemplate } from '@mercato/metrics';

/**
 * One line per request, in pino-http's shape (`req`, `res`, `responseTime`), carrying the
 * request's correlation. The query string is left out: search terms are the customer's business.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    res.once('close', () => {
      const log = withContext(logger, res.locals.logContext as Record<string, unknown>);
      const statusCode = res.writableFinished ? res.statusCode : 499;
      const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
      log[level](
        {
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
