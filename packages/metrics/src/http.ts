import { performance } from 'node:perf_hooks';
import { type Request, type RequestHandler, type Response } from 'express';
import { Gauge, type Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import { DURATION_BUCKETS_SECONDS } from './instruments.js';

/** Route label of responses no Express route handled (404s, static files, middleware answers). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Status label of requests whose client went away before the response was complete (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = '499';

// Any other method becomes `_OTHER`, as OpenTelemetry does, so that clients cannot mint series.
// Each has a small number, so that a method and a status together make one number (see below).
const KNOWN_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
];
const OTHER_METHOD = '_OTHER';
const METHOD_NUMBERS = new Map(KNOWN_METHODS.map((method, index) => [method, index]));
const METHOD_LABELS = [...KNOWN_METHODS, OTHER_METHOD];

/**
 * Express middleware recording `http_server_request_duration_seconds{method, route, status_code}`
 * and `http_server_requests_in_flight`. `route` is the matched route template (mount path plus
 * route path, e.g. `/api/v1/orders/:id`), never the raw URL, so ids cannot explode the series count.
 * Install it before the routes.
 */
export function httpMetricsMiddleware(registry: Registry): RequestHandler {
  const recorder = httpRequestRecorder(registry);
  return (req, res, next) => {
    const startedAt = recorder.started();
    // `close` fires exactly once, whether the response finished or the client went away.
    res.once('close', () => {
      recorder.finished(
        startedAt,
        req.method,
        routeTemplate(req),
        res.writableFinished ? res.statusCode : undefined,
      );
    });
    next();
  };
}

/** Records HTTP requests in the RED metrics; what {@link httpMetricsMiddleware} uses, for servers outside Express. */
export interface HttpRequestRecorder {
  /** A request started (in flight); returns its start time. */
  started(): number;
  /**
   * The request that started at `startedAt` ended, answered with `statusCode` on `route` (a
   * template, never a raw path), or without an answer (undefined: the client went away, 499).
   */
  finished(startedAt: number, method: string, route: string, statusCode: number | undefined): void;
}

// One recorder per registry, shared by every caller (the Express middleware, the gateway's fast
// lane): one duration histogram, one in-flight count, one cache of series.
const recorders = new WeakMap<Registry, HttpRequestRecorder>();

/**
 * The recorder of `http_server_request_duration_seconds` (a {@link FastHistogram}: an observation
 * per request) and `http_server_requests_in_flight` (a plain number read at scrape time instead
 * of two gauge updates per request) of a registry.
 */
export function httpRequestRecorder(registry: Registry): HttpRequestRecorder {
  const existing = recorders.get(registry);
  if (existing) return existing;
  const duration = new FastHistogram(
    'http_server_request_duration_seconds',
    'Duration of HTTP requests handled by this server, by route template.',
    ['method', 'route', 'status_code'],
    DURATION_BUCKETS_SECONDS,
    registry,
  );
  let inFlight = 0;
  new Gauge({
    name: 'http_server_requests_in_flight',
    help: 'HTTP requests being handled right now.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  // Series found per route template, then by one number for the method and the status — two
  // look-ups with what the caller has, instead of a key string built and hashed per request. The
  // sets are bounded: methods × route templates × statuses.
  const series = new Map<string, Map<number, { observe(seconds: number): void }>>();
  const seriesOf = (method: string, route: string, statusCode: number | undefined) => {
    const methodNumber = METHOD_NUMBERS.get(method) ?? KNOWN_METHODS.length;
    // A response the client did not wait for counts as 499 (CLIENT_CLOSED_REQUEST).
    const status = statusCode ?? Number(CLIENT_CLOSED_REQUEST);
    const key = status * 16 + methodNumber;
    let ofRoute = series.get(route);
    if (ofRoute === undefined) {
      ofRoute = new Map();
      series.set(route, ofRoute);
    }
    let child = ofRoute.get(key);
    if (child === undefined) {
      const labels = { method: METHOD_LABELS[methodNumber]!, route, status_code: String(status) };
      child = duration.series(`${labels.method} ${labels.status_code} ${route}`, labels);
      ofRoute.set(key, child);
    }
    return child;
  };
  const recorder: HttpRequestRecorder = {
    started() {
      inFlight += 1;
      return performance.now();
    },
    finished(startedAt, method, route, statusCode) {
      inFlight -= 1;
      seriesOf(method, route, statusCode).observe((performance.now() - startedAt) / 1000);
    },
  };
  recorders.set(registry, recorder);
  return recorder;
}

const ROUTE_NAME = Symbol('mercato.routeName');

/**
 * Names the route of a response that middleware answers rather than an Express route (static
 * files, a single-page app's pages), so its requests get a label of their own instead of
 * `unmatched`. The name must be a constant: it becomes a label value.
 */
export function nameRoute(res: Response, name: string): void {
  (res.locals as Record<symbol, string>)[ROUTE_NAME] = name;
}

/** The template of the route that handled `req`, the name given by `nameRoute`, or `unmatched`. */
export function routeTemplate(req: Request): string {
  const named = (req.res?.locals as Record<symbol, string> | undefined)?.[ROUTE_NAME];
  if (named !== undefined) return named;
  const route = req.route as { path?: RoutePath } | undefined;
  if (route?.path === undefined) return UNMATCHED_ROUTE;
  const path = formatRoutePath(route.path);
  if (req.baseUrl === '') return path;
  return path === '/' ? req.baseUrl : `${req.baseUrl}${path}`;
}

type RoutePath = string | RegExp | (string | RegExp)[];

function formatRoutePath(path: RoutePath): string {
  if (Array.isArray(path)) return path.map(formatRoutePath).join('|');
  return typeof path === 'string' ? path : path.toString();
}
