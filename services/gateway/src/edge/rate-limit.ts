import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Principal } from '../auth.js';
import { HttpProblem, sendProblem } from '../problem.js';

/**
 * Limits requests per client: the token's subject when the request carries a valid token (so
 * customers behind one NAT do not share a budget), else the IP address (IPv6 by /56 network).
 * Counters live in memory, per gateway replica.
 */
export function rateLimitMiddleware(options: { max: number; windowMs: number }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal ? `sub:${principal.customerId}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (req, res, _next, limitOptions) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(limitOptions.windowMs / 1000);
      sendProblem(
        res,
        new HttpProblem(
          'rate-limited',
          `at most ${options.max} requests per ${options.windowMs / 1000} s`,
          {
            headers: { 'Retry-After': String(retryAfter) },
          },
        ),
        req.originalUrl.split('?')[0],
      );
    },
  });
}
