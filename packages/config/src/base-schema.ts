import { z } from 'zod';
import { bool, duration, logLevel, nodeEnv, port, ratio, url } from './fields.js';

/**
 * Variables every Mercato service reads. Services extend it with their own:
 * `baseServiceSchema.extend({ DATABASE_URL: url().optional() })`.
 */
export const baseServiceSchema = z.object({
  // Production by default so a forgotten variable never turns on development behaviour.
  NODE_ENV: nodeEnv().default('production').describe('development, production or test'),
  LOG_LEVEL: logLevel().default('info').describe('Minimum level written to the log'),
  LOG_PRETTY: bool()
    .default(false)
    .describe('Human-readable logs instead of JSON; for development on a terminal only'),
  SERVICE_NAME: z
    .string()
    .min(1)
    .optional()
    .describe('Overrides the service name in logs and metrics'),
  HTTP_PORT: port()
    .default(8080)
    .describe('Port of the HTTP server (health, metrics, and the API where there is one)'),
  // The OpenTelemetry SDK's own variable names, so operators' habits and tooling carry over.
  OTEL_EXPORTER_OTLP_ENDPOINT: url({ protocols: ['http', 'https'] })
    .optional()
    .describe(
      'OTLP/HTTP receiver for traces (Jaeger or a Collector, e.g. http://jaeger:4318); unset: no spans are recorded',
    ),
  OTEL_TRACES_SAMPLER_ARG: ratio()
    .default(1)
    .describe(
      'Share of new traces recorded (parent-based: a trace follows its first service’s choice)',
    ),
  // Drain delay plus shutdown timeout stays under Kubernetes' default 30 s grace period.
  SHUTDOWN_DRAIN_DELAY: duration()
    .default(5_000)
    .describe('How long to keep serving after SIGTERM while load balancers stop routing here'),
  SHUTDOWN_TIMEOUT: duration()
    .default(20_000)
    .describe('How long in-flight work may take to finish before the process exits anyway'),
});

/** The configuration `baseServiceSchema` yields. */
export type BaseServiceConfig = z.output<typeof baseServiceSchema>;
