import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import {
  closeHttpServer,
  createHealth,
  createHealthRouter,
  createShutdownCoordinator,
  startMemoryReducer,
  type Health,
  type ShutdownCoordinator,
} from '@mercato/health';
import { TOPICS } from '@mercato/contracts';
import { createLogger, type Logger } from '@mercato/logger';
import {
  counter,
  createMetrics,
  exportFailureCounter,
  FastCounter,
  httpMetricsMiddleware,
  httpRequestRecorder,
  memoryReductionCounter,
  metricsHandler,
} from '@mercato/metrics';
import { Gauge, type Registry } from 'prom-client';
import { storefrontDirectory } from '@mercato/storefront';
import { startServiceTracing } from '@mercato/tracing/service';
import { buildOpenApiDocument } from './api/openapi.js';
import { API_PREFIX, mountRoutes, type RouteDefinition } from './api/route-registry.js';
import { apiRoutes } from './api/routes.js';
import { authenticate, TokenService } from './auth.js';
import { createBackends, type Backends } from './backends/backends.js';
import { CatalogCache } from './catalog/catalog-cache.js';
import { createCatalogFeed, type CatalogFeed } from './catalog/catalog-feed.js';
import { docsRouter } from './docs-ui.js';
import { createEventFeed, type EventFeed } from './feeds/event-feed.js';
import { OrderWaits } from './orders/order-waits.js';
import { accessLog, accessLogWriter } from './edge/access-log.js';
import { catalogFastLane } from './edge/catalog-fast-lane.js';
import { correlationMiddleware } from './edge/correlation.js';
import { FixedWindowLimiter, type Limiter } from './edge/limiter.js';
import { RedisWindowLimiter } from './edge/shared-limiter.js';
import { rateLimitMiddleware } from './edge/rate-limit.js';
import { securityHeaders, staticHeaders } from './edge/security-headers.js';
import type { GatewayConfig } from './gateway.config.js';
import { HttpProblem, sendProblem, toHttpProblem } from './problem.js';
import { storefrontRouter } from './storefront.js';

export { loadGatewayConfig, gatewayConfigSchema, type GatewayConfig } from './gateway.config.js';
export { TokenService, type Principal } from './auth.js';
export { CircuitBreaker, CircuitOpenError, type CircuitState } from './backends/circuit-breaker.js';
export { API_PREFIX, type RouteDefinition } from './api/route-registry.js';
export { createBackends, Backend, type BackendName, type Backends } from './backends/backends.js';
export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from './problem.js';
export { CatalogCache } from './catalog/catalog-cache.js';

/** Service name in logs and metrics. */
export const SERVICE_NAME = 'gateway';
const API_VERSION = '1.0.0';

/** What createServer needs; everything but the configuration has a default. */
export interface GatewayDependencies {
  config: GatewayConfig;
  logger?: Logger;
  metrics?: Registry;
  health?: Health;
  /** Backend clients; by default one per backend from the configured addresses. */
  backends?: Backends;
  /** The built storefront served at `/`; by default the @mercato/storefront package's build. */
  storefrontDirectory?: string;
}

/** A gateway application, not yet listening. */
export interface Gateway {
  /** The Express application: every route (what tests drive with supertest). */
  app: Express;
  /**
   * The HTTP server's request handler: the catalog fast lane, then the Express application for
   * everything the fast lane declines. Serve this, not `app`.
   */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  backends: Backends;
  health: Health;
  metrics: Registry;
  logger: Logger;
  /** The operations of the API (the source of the OpenAPI document). */
  routes: readonly RouteDefinition[];
  openApiDocument: Record<string, unknown>;
  /** The catalog cache, when enabled (CATALOG_CACHE and KAFKA_BROKERS). */
  catalogCache: CatalogCache | undefined;
  /** The order reads waiting for a payment outcome (`Prefer: wait`), when KAFKA_BROKERS is set. */
  orderWaits: OrderWaits | undefined;
  /** Starts what runs in the background: the catalog and orders change feeds. */
  start(): void;
  /** Answers every request waiting for an order (`Prefer: wait`) now, and lets none wait again. */
  endWaits(): void;
  /** Stops the change feeds and closes the backend channels. */
  close(): Promise<void>;
}

/**
 * Builds the Express application of the gateway: edge protection, the API, docs, health, metrics
 * and the storefront.
 */
export function createServer(deps: GatewayDependencies): Gateway {
  const { config } = deps;
  const name = config.SERVICE_NAME ?? SERVICE_NAME;
  const logger =
    deps.logger ??
    createLogger({ service: name, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const metrics = deps.metrics ?? createMetrics({ service: name });
  const health = deps.health ?? createHealth();
  const backends = deps.backends ?? createBackends(config, metrics, logger);
  const tokens = new TokenService(config);
  const { cache: catalogCache, feed: catalogFeed } = catalogCaching(config, logger, metrics);
  const { waits: orderWaits, feed: ordersFeed } = orderWaiting(config, logger, metrics);
  const routes = apiRoutes(backends, tokens, catalogCache, {
    traceUiUrl: config.TRACE_UI_URL,
    orderWaits,
  });
  const openApiDocument = buildOpenApiDocument(routes, { version: API_VERSION });

  // Reported in /health/ready but not critical: a gateway taken out of rotation because one backend
  // is down would also stop serving everything that does not need that backend.
  for (const backend of [backends.product, backends.order, backends.payment]) {
    health.registerCheck(backend.name, (signal) => backend.check(signal), {
      timeoutMs: 1_500,
      critical: false,
    });
  }
  if (catalogFeed) {
    // Not critical either: without the feed the cache is bypassed and reads go to the backend.
    health.registerCheck(
      'catalog-feed',
      () => {
        if (!catalogFeed.live) throw new Error('catalog change feed not live; cache bypassed');
      },
      { timeoutMs: 100, critical: false },
    );
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.set('query parser', 'simple');

  const writeAccessLog = accessLogWriter(logger);
  app.use(correlationMiddleware());
  app.use(accessLog(writeAccessLog));
  if (config.REQUEST_METRICS) app.use(httpMetricsMiddleware(metrics));
  app.use(createHealthRouter(health));
  app.get('/metrics', metricsHandler(metrics));

  // upgrade-insecure-requests would break the docs UI on plain-HTTP development setups; TLS is
  // terminated in front of the gateway (Ingress), which sets its own policy.
  const security = securityHeaders({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  app.use(staticHeaders(security));
  app.use(
    cors({
      origin: config.CORS_ORIGINS ? [...config.CORS_ORIGINS] : false,
      exposedHeaders: ['x-request-id', 'Location', 'Retry-After'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        'x-request-id',
        'traceparent',
      ],
      maxAge: 600,
    }),
  );
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use(docsRouter());

  app.use(API_PREFIX, authenticate(tokens));
  const limiter = rateLimiter(config, logger, metrics);
  app.use(API_PREFIX, rateLimitMiddleware(limiter));
  app.use(API_PREFIX, express.json({ limit: config.BODY_LIMIT_BYTES, strict: true }));
  // Counted on every catalog read, so as FastCounters: an increment is one addition.
  const lookups = new FastCounter(
    'gateway_catalog_cache_lookups_total',
    'Catalog reads by cache result: hit, miss (read from the product service and stored) or bypass (cache not live).',
    ['operation', 'result'],
    metrics,
  );
  const lookupSeries = new Map<string, { inc(): void }>();
  const countLookup = (operation: string, result: 'hit' | 'miss' | 'bypass') => {
    const key = `${operation} ${result}`;
    let series = lookupSeries.get(key);
    if (series === undefined) {
      series = lookups.series(key, { operation, result });
      lookupSeries.set(key, series);
    }
    series.inc();
  };
  mountRoutes(app, routes, { cache: catalogCache, onLookup: countLookup });

  // After the API, so API requests never touch the file system.
  const storefront = storefrontRouter(deps.storefrontDirectory ?? storefrontDirectory());
  if (storefront) app.use(storefront);
  else logger.warn('the storefront is not built (pnpm build); only the API is served');

  // The front door for whoever the storefront does not answer: a JSON client, or any client of a
  // gateway whose storefront is not built.
  app.get('/', rootIndex(storefront !== undefined));

  app.use((req, _res, next) => {
    next(new HttpProblem('not-found', `no route for ${req.method} ${req.path}`));
  });
  app.use(problemHandler(logger));

  const fastLaneAnswers = new FastCounter(
    'gateway_catalog_fast_lane_responses_total',
    'Catalog reads answered by the fast lane (from the cache, without entering Express).',
    ['operation'],
    metrics,
  );
  const fastLaneSeries = new Map<string, { inc(): void }>();
  const fastLane =
    catalogCache &&
    catalogFastLane({
      cache: catalogCache,
      tokens,
      limiter,
      express: app,
      securityHeaders: security,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      writeAccessLog,
      metrics: config.REQUEST_METRICS ? httpRequestRecorder(metrics) : undefined,
      onHit: (operation) => {
        countLookup(operation, 'hit');
        let series = fastLaneSeries.get(operation);
        if (series === undefined) {
          series = fastLaneAnswers.series(operation, { operation });
          fastLaneSeries.set(operation, series);
        }
        series.inc();
      },
    });
  const handler = fastLane
    ? (req: IncomingMessage, res: ServerResponse) => {
        if (!fastLane(req, res)) app(req, res);
      }
    : (req: IncomingMessage, res: ServerResponse) => {
        app(req, res);
      };

  health.markStarted();
  return {
    app,
    handler,
    backends,
    health,
    metrics,
    logger,
    routes,
    openApiDocument,
    catalogCache,
    orderWaits,
    start: () => {
      catalogFeed?.start();
      ordersFeed?.start();
    },
    endWaits: () => orderWaits?.close(),
    async close() {
      orderWaits?.close();
      await Promise.all([catalogFeed?.stop(), ordersFeed?.stop()]);
      await limiter.close();
      backends.close();
    },
  };
}

/**
 * The limiter of the API: counters in Redis, shared by every replica, when RATE_LIMIT_REDIS_URL is
 * set; else in memory, per replica (one gateway, or a limit meant per replica).
 */
function rateLimiter(config: GatewayConfig, logger: Logger, metrics: Registry): Limiter {
  if (!config.RATE_LIMIT_REDIS_URL)
    return new FixedWindowLimiter(config.RATE_LIMIT_MAX, config.RATE_LIMIT_WINDOW);
  const failOpen = counter(
    metrics,
    'gateway_rate_limit_fail_open_total',
    'API requests let through uncounted because the rate-limit Redis did not answer in time (the limiter fails open).',
  );
  return new RedisWindowLimiter({
    url: config.RATE_LIMIT_REDIS_URL,
    limit: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW,
    timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT,
    logger,
    onFailOpen: () => failOpen.inc(),
  });
}

/** The catalog cache and the feed that keeps it fresh, when configured; else neither. */
/** Requests that may wait for an order's payment outcome at once (each holds a socket). */
const MAX_ORDER_WAITS = 10_000;

/** The order waits of `Prefer: wait` and the orders feed that wakes them; none without Kafka. */
function orderWaiting(
  config: GatewayConfig,
  logger: Logger,
  metrics: Registry,
): { waits?: OrderWaits; feed?: EventFeed } {
  if (!config.KAFKA_BROKERS?.length) return {};
  const ended = counter(
    metrics,
    'gateway_order_waits_total',
    'Order reads that waited (Prefer: wait), by how the wait ended: changed, timeout, not-live (the orders feed went away) or cancelled (the client left).',
    ['outcome'],
  );
  const waits = new OrderWaits({
    maxWaiting: MAX_ORDER_WAITS,
    onEnd: (outcome) => ended.inc({ outcome }),
  });
  new Gauge({
    name: 'gateway_order_waits',
    help: 'Order reads waiting now for a payment outcome (Prefer: wait).',
    registers: [metrics],
    collect() {
      this.set(waits.waiting);
    },
  });
  const feed = createEventFeed({
    brokers: config.KAFKA_BROKERS,
    namespace: config.KAFKA_NAMESPACE,
    name: 'orders',
    topic: TOPICS.orders,
    logger,
    onEvent: (event) => {
      // The payment outcome of an order awaiting it; order.created and refunds leave it pending or
      // concern paid orders.
      if (event.type === 'order.paid.v1' || event.type === 'order.cancelled.v1')
        waits.notify(event.subject);
    },
    onInvalid: (error) => {
      logger.warn({ err: error }, 'unreadable record on the orders topic; order waits ended');
      waits.setLive(false);
      waits.setLive(feed.live);
    },
    onLiveChange: (live) => waits.setLive(live),
  });
  return { waits, feed };
}

function catalogCaching(
  config: GatewayConfig,
  logger: Logger,
  metrics: Registry,
): { cache?: CatalogCache; feed?: CatalogFeed } {
  if (!config.CATALOG_CACHE) return {};
  if (!config.KAFKA_BROKERS?.length) {
    logger.info(
      'no KAFKA_BROKERS: the catalog cache is off (every catalog read goes to the product service)',
    );
    return {};
  }
  const evictions = counter(
    metrics,
    'gateway_catalog_cache_evictions_total',
    'Catalog cache evictions: product (a change event without a version, or an order through this gateway the cache cannot apply) or all (an unreadable event).',
    ['scope'],
  );
  const changes = counter(
    metrics,
    'gateway_catalog_cache_changes_total',
    'Versioned product changes that reached the catalog cache (change events and orders through this gateway): applied to the responses showing the product, stale (they, or a change before, were as new) or uncached (none shows it).',
    ['outcome'],
  );
  const cache = new CatalogCache(
    {
      maxAgeMs: config.CATALOG_CACHE_MAX_AGE,
      maxEntries: config.CATALOG_CACHE_MAX_ENTRIES,
      maxBytes: config.CATALOG_CACHE_MAX_BYTES,
    },
    {
      onEvict: (scope) => evictions.inc({ scope }),
      onChange: (outcome) => changes.inc({ outcome }),
    },
  );
  new Gauge({
    name: 'gateway_catalog_cache_entries',
    help: 'Responses in the catalog cache.',
    registers: [metrics],
    // Read when scraped, not on every change.
    collect() {
      this.set(cache.size);
    },
  });
  new Gauge({
    name: 'gateway_catalog_cache_bytes',
    help: 'Bytes of the response bodies in the catalog cache (CATALOG_CACHE_MAX_BYTES bounds it).',
    registers: [metrics],
    collect() {
      this.set(cache.bytes);
    },
  });
  const feed = createCatalogFeed({
    brokers: config.KAFKA_BROKERS,
    namespace: config.KAFKA_NAMESPACE,
    cache,
    logger,
    metrics,
  });
  return { cache, feed };
}

/** Body-parser errors carry a `type`; these are the client's mistakes, not ours. */
function bodyParserProblem(error: unknown): HttpProblem | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return new HttpProblem('malformed-request', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', 'the request body exceeds the size limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', 'the body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpProblem('malformed-request', 'the request body could not be read');
    default:
      return undefined;
  }
}

function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem = bodyParserProblem(error) ?? toHttpProblem(error);
    if (problem.status >= 500 && problem.kind !== 'service-unavailable') {
      logger.error({ err: error, path: req.path }, 'request failed');
    } else if (problem.kind === 'service-unavailable') {
      logger.warn({ err: error, path: req.path }, 'backend unavailable');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, problem, req.path);
  };
}

/** A gateway listening on its port, with graceful shutdown. */
export interface RunningGateway extends Gateway {
  server: Server;
  url: string;
  shutdown: ShutdownCoordinator;
  /** Graceful stop without exiting the process. */
  stop(): Promise<void>;
}

/** Creates the gateway and listens (main.ts and end-to-end tests). */
export async function startGateway(
  config: GatewayConfig,
  options: { handleSignals?: boolean; logger?: Logger } = {},
): Promise<RunningGateway> {
  const gateway = createServer({ config, logger: options.logger });
  const tracing = await startServiceTracing({
    service: config.SERVICE_NAME ?? SERVICE_NAME,
    config,
    logger: gateway.logger,
    onExportError: exportFailureCounter(gateway.metrics),
  });
  const shutdown = createShutdownCoordinator({
    health: gateway.health,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY,
    timeoutMs: config.SHUTDOWN_TIMEOUT,
    logger: gateway.logger,
    exit: options.handleSignals ? (code) => process.exit(code) : () => undefined,
  });
  // Registered first, so it runs last: spans of requests finished while draining are sent too.
  shutdown.register('tracing', () => tracing.shutdown());
  shutdown.register('backend clients and catalog feed', () => gateway.close());
  const server = createHttpServer(gateway.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.HTTP_PORT, config.HOST, () => resolve());
  });
  shutdown.register('http server', () =>
    closeHttpServer(server, { forceAfterMs: config.SHUTDOWN_TIMEOUT / 2 }),
  );
  // Runs first: requests waiting for an order answer now, so the server can close without them.
  shutdown.register('order waits', () => gateway.endWaits());
  if (options.handleSignals) shutdown.installSignalHandlers();
  gateway.start();
  // Start-up's peak, and a burst's young generation, are given back once the gateway is quiet.
  const memoryReducer = startMemoryReducer({
    logger: gateway.logger,
    onReduced: memoryReductionCounter(gateway.metrics),
  });
  shutdown.register('memory reducer', () => memoryReducer.stop());
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  gateway.logger.info({ url }, 'gateway listening');
  return {
    ...gateway,
    server,
    url,
    shutdown,
    async stop() {
      const code = await shutdown.shutdown('stopped by caller');
      if (code !== 0) throw new Error(`gateway did not shut down cleanly (exit code ${code})`);
    },
  };
}

/** Where things are, relative to the gateway's origin (GET / for clients the storefront does not serve). */
export const ROOT_LINKS = {
  storefront: '/',
  api: `${API_PREFIX}/products`,
  docs: '/docs',
  openapi: '/openapi.json',
  health: '/health/ready',
  metrics: '/metrics',
} as const;

function rootIndex(storefrontBuilt: boolean): RequestHandler {
  const links = storefrontBuilt
    ? ROOT_LINKS
    : (Object.fromEntries(
        Object.entries(ROOT_LINKS).filter(([name]) => name !== 'storefront'),
      ) as Partial<typeof ROOT_LINKS>);
  const text =
    `Mercato gateway${storefrontBuilt ? '' : ' (the storefront is not built: pnpm build)'}\n\n` +
    Object.entries(links)
      .map(([name, path]) => `${name.padEnd(11)} ${path}`)
      .join('\n') +
    '\n';
  return (_req, res) => {
    // Text first: `*/*` (curl) gets it; a client that asks for JSON gets JSON.
    res.format({
      'text/plain': () => res.type('text/plain').send(text),
      'application/json': () => res.json({ service: SERVICE_NAME, links }),
      default: () => res.type('text/plain').send(text),
    });
  };
}
