import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Principal } from '../auth.js';
import { HttpProblem, sendProblem } from '../problem.js';
import type { LimitDecision, Limiter } from './limiter.js';

/**
 * The client a request counts against: the token's subject when the request carries a valid token
 * (so customers behind one NAT do not share a budget), else the IP address (IPv6 by /56 network).
 */
export function rateLimitKey(principal: Principal | undefined, ip: string | undefined): string {
  return principal ? `sub:${principal.customerId}` : ipKey(ip ?? '');
}

// ipKeyGenerator tells IPv6 from IPv4 with a long regular expression (about 1 % of the gateway's
// CPU on catalog hits); a client keeps its address, so each address's key is worked out once.
const ipKeys = new Map<string, string>();
const MAX_REMEMBERED_ADDRESSES = 10_000;
function ipKey(ip: string): string {
  let key = ipKeys.get(ip);
  if (key === undefined) {
    key = `ip:${ipKeyGenerator(ip)}`;
    if (ipKeys.size >= MAX_REMEMBERED_ADDRESSES) ipKeys.clear();
    ipKeys.set(ip, key);
  }
  return key;
}

/** The 429 problem of a refused request. */
export function rateLimited(limiter: Limiter, retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(
    'rate-limited',
    `at most ${limiter.limit} requests per ${limiter.windowMs / 1000} s`,
    { headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}

/**
 * Decisions already taken for a request before it entered Express: the catalog fast lane counts a
 * request against a shared (asynchronous) limiter before it knows whether it will answer, and when
 * the answer is a refusal it hands the request to Express, which must not count it again.
 */
export const decidedBeforeExpress = new WeakMap<object, LimitDecision>();

/**
 * Limits requests per client ({@link rateLimitKey}) with the gateway's limiter, announcing the
 * budget in the draft-8 `RateLimit` and `RateLimit-Policy` headers; a refused request gets a 429
 * problem with `Retry-After`. The counters are the limiter's: in memory per replica, or in Redis
 * shared by all replicas.
 */
export function rateLimitMiddleware(limiter: Limiter): RequestHandler {
  return (req: Request, res: Response, next) => {
    const apply = (decision: LimitDecision) => {
      for (const [name, value] of decision.headers) res.setHeader(name, value);
      if (decision.allowed) {
        next();
        return;
      }
      sendProblem(res, rateLimited(limiter, decision.resetSeconds), req.originalUrl.split('?')[0]);
    };
    const decision =
      decidedBeforeExpress.get(req) ??
      limiter.take(rateLimitKey(res.locals.principal as Principal | undefined, req.ip));
    if (decision instanceof Promise) decision.then(apply, next);
    else apply(decision);
  };
}
