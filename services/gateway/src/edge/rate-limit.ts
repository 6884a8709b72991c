import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Principal } from '../auth.js';
import { HttpProblem, sendProblem } from '../problem.js';
import type { FixedWindowLimiter } from './limiter.js';

/**
 * The client a request counts against: the token's subject when the request carries a valid token
 * (so customers behind one NAT do not share a budget), else the IP address (IPv6 by /56 network).
 */
export function rateLimitKey(principal: Principal | undefined, ip: string | undefined): string {
  return principal ? `sub:${principal.customerId}` : `ip:${ipKeyGenerator(ip ?? '')}`;
}

/** The 429 problem of a refused request. */
export function rateLimited(limiter: FixedWindowLimiter, retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(
    'rate-limited',
    `at most ${limiter.limit} requests per ${limiter.windowMs / 1000} s`,
    { headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}

/**
 * Limits requests per client ({@link rateLimitKey}) with the gateway's limiter, announcing the
 * budget in the draft-8 `RateLimit` and `RateLimit-Policy` headers; a refused request gets a 429
 * problem with `Retry-After`. Counters live in memory, per gateway replica.
 */
export function rateLimitMiddleware(limiter: FixedWindowLimiter): RequestHandler {
  return (req: Request, res: Response, next) => {
    const decision = limiter.take(
      rateLimitKey(res.locals.principal as Principal | undefined, req.ip),
    );
    for (const [name, value] of decision.headers) res.setHeader(name, value);
    if (decision.allowed) {
      next();
      return;
    }
    sendProblem(res, rateLimited(limiter, decision.resetSeconds), req.originalUrl.split('?')[0]);
  };
}
