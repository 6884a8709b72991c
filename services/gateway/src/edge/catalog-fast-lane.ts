import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HttpRequestRecorder } from '@mercato/metrics';
import { API_PREFIX } from '../api/route-registry.js';
import { bearerToken, type Principal, type TokenService } from '../auth.js';
import { type CachedResponse, CatalogCache } from '../catalog/catalog-cache.js';
import { writeCatalogResponse } from '../catalog/catalog-response.js';
import type { AccessRecord } from './access-log.js';
import { endRequest, openRequest } from './correlation.js';
import type { LimitDecision, Limiter } from './limiter.js';
import { decidedBeforeExpress, rateLimitKey } from './rate-limit.js';
import type { Header } from './security-headers.js';

/** What the fast lane shares with the Express lane: the same cache, limiter, tokens and records. */
export interface CatalogFastLaneOptions {
  cache: CatalogCache;
  tokens: TokenService;
  limiter: Limiter;
  /**
   * The Express lane, for a request this lane took on but cannot answer after all: with a shared
   * limiter it counts the request first (asynchronously) and hands a refused one to Express.
   */
  express(req: IncomingMessage, res: ServerResponse): void;
  /** Helmet's headers, as the Express lane sets them ({@link securityHeaders}). */
  securityHeaders: readonly Header[];
  /** Reverse proxies whose X-Forwarded-For is trusted (as Express's `trust proxy`). */
  trustProxyHops: number;
  writeAccessLog(record: AccessRecord): void;
  /** RED metrics, when they are on. */
  metrics?: HttpRequestRecorder;
  onHit(operation: string): void;
}

/** A request the fast lane takes: one of its routes, answered from the cache. */
interface Lane {
  key: string;
  route: string;
  operation: string;
}

const PRODUCT_PATH = `${API_PREFIX}/products/`;
const CATEGORIES_PATH = `${API_PREFIX}/categories`;
const PRODUCT_ROUTE = `${API_PREFIX}/products/:productId`;

/** Which cached response a URL asks for, if it is one this lane serves (no query, one segment). */
function laneOf(url: string): Lane | undefined {
  if (url === CATEGORIES_PATH)
    return { key: 'categories', route: CATEGORIES_PATH, operation: 'listCategories' };
  if (!url.startsWith(PRODUCT_PATH)) return undefined;
  const segment = url.slice(PRODUCT_PATH.length);
  if (segment === '' || segment.includes('/') || segment.includes('?')) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  // Only ids the Express lane validated and stored can hit, so the key doubles as validation.
  return { key: CatalogCache.productKey(id), route: PRODUCT_ROUTE, operation: 'getProduct' };
}

/**
 * The client address as Express computes `req.ip` with `trust proxy` set to a hop count: the
 * socket's peer, or — behind `hops` trusted proxies — the address that many entries from the
 * right of X-Forwarded-For.
 */
export function clientAddress(req: IncomingMessage, hops: number): string | undefined {
  const peer = req.socket.remoteAddress;
  if (hops === 0) return peer;
  const header = headerText(req.headers['x-forwarded-for']);
  const forwarded = header ? header.split(',').map((address) => address.trim()) : [];
  const chain = [peer, ...forwarded.reverse()];
  return chain[Math.min(hops, chain.length - 1)];
}

/**
 * The catalog fast lane: the gateway's HTTP server gives it every request first, and it answers
 * catalog reads whose response is in the cache (`GET /api/v1/products/{id}`, `/categories`) without
 * entering Express — the same edge work, done by the same functions: correlation ids and trace
 * context, helmet's headers, the token memory, the rate limiter, the access log line and the RED
 * metrics. Anything it cannot answer exactly as the Express lane would — a miss, a query string,
 * a CORS request (`Origin`), a token not verified before, a client at its limit — it declines
 * (returns false) before touching the response, and Express handles the request from the start.
 * With a shared limiter (Redis), which answers asynchronously, the lane takes on the request,
 * counts it, and then answers it or hands it to Express with the decision already taken. The
 * gateway suite proves both lanes answer alike, with either limiter.
 */
export function catalogFastLane(
  options: CatalogFastLaneOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { cache, tokens, limiter, metrics } = options;
  const securityHeaders = options.securityHeaders.flat();
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !cache.live) return false;
    const lane = laneOf(req.url ?? '');
    if (lane === undefined || req.headers.origin !== undefined) return false;
    let principal: Principal | undefined;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      principal = token === undefined ? undefined : tokens.remembered(token);
      if (principal === undefined) return false;
    }
    const entry = cache.get(lane.key);
    if (entry === undefined) return false;
    const clientKey = rateLimitKey(principal, clientAddress(req, options.trustProxyHops));
    if (limiter.wouldAllow) {
      if (!limiter.wouldAllow(clientKey)) return false;
      answer(req, res, lane, entry, limiter.take(clientKey) as LimitDecision);
      return true;
    }
    // A shared limiter answers later: count the request, then answer it from the cache, or — when
    // refused, or when the entry went meanwhile — hand it to Express with the decision taken, so
    // it is counted once.
    void (limiter.take(clientKey) as Promise<LimitDecision>).then((decision) => {
      const current = decision.allowed ? cache.get(lane.key) : undefined;
      if (current !== undefined) {
        answer(req, res, lane, current, decision);
        return;
      }
      decidedBeforeExpress.set(req, decision);
      options.express(req, res);
    });
    return true;
  };

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    lane: Lane,
    entry: CachedResponse,
    decision: LimitDecision,
  ): void {
    const startedAt = metrics ? metrics.started() : performance.now();
    const { correlation, span } = openRequest(
      req.method!,
      req.url!,
      headerText(req.headers['x-request-id']),
      headerText(req.headers.traceparent),
    );
    res.once('close', () => {
      const statusCode = res.writableFinished ? res.statusCode : undefined;
      endRequest(span, req.method!, lane.route, statusCode);
      options.writeAccessLog({
        context: correlation,
        method: req.method!,
        path: req.url!,
        route: lane.route,
        statusCode,
        startedAt,
      });
      metrics?.finished(startedAt, req.method!, lane.route, statusCode);
    });
    // Every header goes to one writeHead as a flat list (see writeCatalogResponse): the same
    // headers, in the same order, as the Express lane sets one by one.
    const headers = [
      'x-request-id',
      correlation.requestId,
      'traceparent',
      correlation.traceparent,
      ...securityHeaders,
    ];
    for (const [name, value] of decision.headers) headers.push(name, value);
    options.onHit(lane.operation);
    writeCatalogResponse(req, res, entry, headers);
  }
}

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;
