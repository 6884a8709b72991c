import type { Express, Request, RequestHandler, Response } from 'express';
import { runWithLogContext, type LogContext } from '@mercato/logger';
import { type z } from 'zod';
import { requirePrincipal, type Principal } from '../auth.js';
import {
  renderCatalogResponse,
  type CatalogCache,
  type CatalogItem,
} from '../catalog/catalog-cache.js';
import { writeCatalogResponse } from '../catalog/catalog-response.js';
import { fieldErrorsOf, HttpProblem } from '../problem.js';

/** Prefix of every versioned API route. */
export const API_PREFIX = '/api/v1';

type AnyObject = z.ZodObject;
type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route handler receives: validated input and the verified caller. */
export interface RouteInput<P, Q, H, B> {
  params: Output<P>;
  query: Output<Q>;
  headers: Output<H>;
  body: Output<B>;
  /** Set on routes with `auth: true`; the customer id of a request comes only from here. */
  principal: Principal;
  /** Set on routes with `abortable: true`: aborted when the client goes away before the answer. */
  signal?: AbortSignal;
}

/** A response a route handler returns. */
export interface RouteResult<R> {
  body: R;
  headers?: Record<string, string>;
  /** Of a catalog read: the products inside `body`, for the catalog cache to keep up to date. */
  catalogItems?: CatalogItem[];
}

/**
 * One API operation: its OpenAPI description, the schemas that validate its input, and its
 * handler. The same definition mounts the Express route and writes the OpenAPI operation.
 */
export interface RouteDefinition<
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  H extends AnyObject | undefined = AnyObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'post';
  /** Path below {@link API_PREFIX} in OpenAPI form, e.g. `/orders/{orderId}`. */
  path: string;
  operationId: string;
  summary: string;
  /** More than the summary says, for the OpenAPI document. */
  description?: string;
  tags: string[];
  /** Whether the operation needs a bearer token. */
  auth: boolean;
  params?: P;
  query?: Q;
  /** Header parameters, keyed by their canonical name (e.g. `Idempotency-Key`). */
  headers?: H;
  body?: B;
  response: {
    status: 200 | 201;
    description: string;
    schema: R;
    headers?: Record<string, string>;
  };
  /** Error statuses worth documenting besides the generic ones. */
  errors: number[];
  /**
   * A catalog read: answered with a strong ETag (304 to a matching If-None-Match) and
   * `Cache-Control: public, no-cache`, and from the catalog cache while it is live. `key` names
   * the response in the cache; a product's own entry must use {@link CatalogCache.productKey}.
   */
  catalog?: { key(input: RouteInput<P, Q, H, B>): string };
  /** The handler may take long (it waits for something): give it a signal of the client leaving. */
  abortable?: boolean;
  handle(input: RouteInput<P, Q, H, B>): Promise<RouteResult<z.input<R>>>;
}

/** Keeps the types of a route definition's schemas flowing into its handler. */
export function defineRoute<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  H extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(route: RouteDefinition<P, Q, H, B, R>): RouteDefinition {
  return route;
}

/** `/orders/{orderId}` → `/api/v1/orders/:orderId`. */
export const expressPath = (path: string): string =>
  `${API_PREFIX}${path.replace(/\{(\w+)\}/g, ':$1')}`;

function validate<S extends z.ZodType>(
  schema: S | undefined,
  value: unknown,
  location?: string,
): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem('validation-error', `the request ${location ?? 'body'} is not valid`, {
    errors: fieldErrorsOf(result.error, location),
  });
}

const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

function readHeaders(req: Request, schema: AnyObject | undefined): Record<string, unknown> {
  if (!schema) return {};
  return Object.fromEntries(Object.keys(schema.shape).map((name) => [name, req.get(name)]));
}

/** What serves catalog routes: the cache (absent: every read goes to the backend) and its counter. */
export interface CatalogServing {
  cache?: CatalogCache;
  onLookup?(route: string, result: 'hit' | 'miss' | 'bypass'): void;
}

/** The Express handler of a route: validate, call the handler, send JSON or pass the error on. */
function routeHandler(route: RouteDefinition, catalog: CatalogServing): RequestHandler {
  return async (req: Request, res: Response) => {
    const principal = route.auth ? requirePrincipal(res.locals) : (undefined as never);
    if (route.body && hasBody(req) && !req.is('application/json')) {
      throw new HttpProblem('unsupported-media-type', 'send the body as application/json');
    }
    const input = {
      params: validate(route.params, req.params, 'path'),
      query: validate(route.query, req.query, 'query'),
      headers: validate(route.headers, readHeaders(req, route.headers), 'header'),
      body: validate(route.body, req.body),
      principal,
      signal: route.abortable ? clientGone(res) : undefined,
    };
    const catalogKey = route.catalog?.key(input);
    const cache = catalog.cache;
    if (catalogKey !== undefined) {
      const hit = cache?.get(catalogKey);
      catalog.onLookup?.(route.operationId, hit ? 'hit' : cache?.live ? 'miss' : 'bypass');
      if (hit) {
        writeCatalogResponse(req, res, hit);
        return;
      }
    }
    // Taken before the read: a change reaching the cache while the read is in flight wins over it.
    const ticket = catalogKey !== undefined ? cache?.ticket() : undefined;
    // Entered again here: body parsing resumes on stream callbacks, which need not carry the
    // context the correlation middleware opened, and outgoing gRPC calls read it.
    const result = await runWithLogContext(res.locals.logContext as LogContext, () =>
      route.handle(input as never),
    );
    if (catalogKey !== undefined) {
      const entry =
        cache && ticket
          ? cache.store(catalogKey, result.body, result.catalogItems ?? [], ticket)
          : renderCatalogResponse(result.body);
      if (result.headers) res.set(result.headers);
      writeCatalogResponse(req, res, entry);
      return;
    }
    res
      .status(route.response.status)
      .set(result.headers ?? {})
      .json(result.body);
  };
}

/** A signal aborted when the response closes before it was sent in full (the client went away). */
function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Mounts every route on the app under {@link API_PREFIX}. */
export function mountRoutes(
  app: Express,
  routes: readonly RouteDefinition[],
  catalog: CatalogServing = {},
): void {
  for (const route of routes)
    app[route.method](expressPath(route.path), routeHandler(route, catalog));
}
