import {
  baseServiceSchema,
  bool,
  csvList,
  duration,
  integer,
  loadConfig,
  port,
  secret,
  url,
  z,
  type Config,
  type LoadConfigOptions,
} from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';

const backendAddresses = (
  service: keyof typeof DEFAULT_PORTS & ('product' | 'order' | 'payment'),
) =>
  csvList()
    .default([`127.0.0.1:${DEFAULT_PORTS[service].grpc}`])
    .describe(`host:port of the ${service} service, comma-separated for client-side round-robin`);

/** Every variable the gateway reads. */
export const gatewayConfigSchema = baseServiceSchema.extend({
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface the HTTP server binds to'),
  HTTP_PORT: port({ allowZero: true })
    .default(DEFAULT_PORTS.gateway.http)
    .describe('Port of the public API, /health and /metrics (0: any free port)'),
  PRODUCT_SERVICE_ADDRESSES: backendAddresses('product'),
  ORDER_SERVICE_ADDRESSES: backendAddresses('order'),
  PAYMENT_SERVICE_ADDRESSES: backendAddresses('payment'),
  BACKEND_CALL_TIMEOUT: duration()
    .default(5_000)
    .describe('Deadline of every gRPC call to a backend'),
  BACKEND_READ_ATTEMPTS: integer({ min: 1, max: 5 })
    .default(3)
    .describe(
      'Attempts of idempotent reads when a backend is UNAVAILABLE (writes are never retried)',
    ),
  BREAKER_FAILURE_THRESHOLD: integer({ min: 1, max: 1_000 })
    .default(5)
    .describe('Consecutive UNAVAILABLE/DEADLINE_EXCEEDED failures that open a backend circuit'),
  BREAKER_COOL_DOWN: duration()
    .default(10_000)
    .describe('How long an open circuit rejects calls before one trial call is let through'),
  JWT_SECRET: secret()
    .min(32, 'must be at least 32 characters')
    .describe(
      'HS256 key that signs and verifies access tokens (use JWT_SECRET_FILE in Kubernetes)',
    ),
  JWT_ISSUER: z
    .string()
    .min(1)
    .default('mercato-gateway')
    .describe('iss of issued and accepted tokens'),
  JWT_AUDIENCE: z
    .string()
    .min(1)
    .default('mercato-api')
    .describe('aud of issued and accepted tokens'),
  JWT_TTL: duration().default(3_600_000).describe('Lifetime of issued access tokens'),
  CORS_ORIGINS: csvList()
    .optional()
    .describe('Origins allowed to call the API from a browser, comma-separated; unset: none'),
  TRACE_UI_URL: url({ protocols: ['http', 'https'] })
    .optional()
    .describe(
      'Base URL of the trace UI (Jaeger, e.g. http://localhost:16686): orders link to their trace at <url>/trace/<trace id>',
    ),
  BODY_LIMIT_BYTES: integer({ min: 1_024, max: 16 * 1024 * 1024 })
    .default(1024 * 1024)
    .describe('Largest accepted request body; larger ones are answered with 413'),
  RATE_LIMIT_MAX: integer({ min: 1 })
    .default(600)
    .describe('Requests one client (token subject, else IP address) may make per window'),
  RATE_LIMIT_WINDOW: duration().default(60_000).describe('Window of the rate limit'),
  RATE_LIMIT_REDIS_URL: url({ protocols: ['redis', 'rediss'] })
    .optional()
    .describe(
      'Redis that holds the rate-limit counters, so every gateway replica shares one budget per client (redis://host:6379); unset: counters in memory, per replica',
    ),
  RATE_LIMIT_REDIS_TIMEOUT: duration()
    .default(100)
    .describe(
      'How long a request waits for the rate-limit Redis before it is let through uncounted (fail open)',
    ),
  REQUEST_METRICS: bool()
    .default(true)
    .describe(
      'Record RED metrics of API requests and backend calls (off only to measure what they cost)',
    ),
  KAFKA_BROKERS: csvList()
    .optional()
    .describe(
      'Kafka bootstrap brokers; the gateway reads catalog changes (products topic) from them to keep its catalog cache fresh. Unset: no catalog cache',
    ),
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes and underscores')
    .max(64)
    .default('')
    .describe('Prefix of the topics and consumer groups, as in the services (must match theirs)'),
  CATALOG_CACHE: bool()
    .default(true)
    .describe(
      'Serve catalog reads from memory while the catalog change feed (KAFKA_BROKERS) is live; every change updates what it holds',
    ),
  CATALOG_CACHE_MAX_AGE: duration()
    .refine((ms) => ms > 0 && ms <= 3_600_000, 'expected a duration longer than 0 and at most 1h')
    .default(60_000)
    .describe(
      'Longest a cached catalog response is served from when it was read, changes applied to it or not (a safety net)',
    ),
  CATALOG_CACHE_MAX_ENTRIES: integer({ min: 1, max: 1_000_000 })
    .default(10_000)
    .describe('Cached catalog responses kept at most (oldest dropped first)'),
  CATALOG_CACHE_MAX_BYTES: integer({ min: 64 * 1024, max: 1024 * 1024 * 1024 })
    .default(16 * 1024 * 1024)
    .describe(
      'Bytes of cached catalog response bodies kept at most (oldest dropped first); memory held is a small multiple of it',
    ),
  TRUST_PROXY_HOPS: integer({ min: 0, max: 10 })
    .default(0)
    .describe('Reverse proxies in front of the gateway whose X-Forwarded-For is trusted'),
});

/** The gateway's validated configuration. */
export type GatewayConfig = Config<typeof gatewayConfigSchema>;

/** Loads the configuration; an invalid environment throws one error naming every bad variable. */
export const loadGatewayConfig = (options: LoadConfigOptions = {}): GatewayConfig =>
  loadConfig(gatewayConfigSchema, { name: 'gateway-service', ...options });
