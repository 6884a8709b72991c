import { baseServiceSchema, bool, csvList, duration, integer, port, url, z } from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';

const { gateway: _gateway, ...SERVICE_PORTS } = DEFAULT_PORTS;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Configuration every NestJS gRPC service shares; each service extends it. */
export const grpcServiceSchema = baseServiceSchema.extend({
  HOST: z
    .string()
    .min(1)
    .default('0.0.0.0')
    .describe('Interface the gRPC and HTTP servers bind to'),
  GRPC_PORT: port({ allowZero: true }).describe('Port of the gRPC server (0: any free port)'),
  // Port 0 as for GRPC_PORT, so tests can start several services side by side on free ports.
  HTTP_PORT: port({ allowZero: true })
    .default(8080)
    .describe('Port of the HTTP server with /health and /metrics (0: any free port)'),
  GRPC_MAX_MESSAGE_BYTES: integer({ min: 1024, max: 16 * 1024 * 1024 })
    .default(4 * 1024 * 1024)
    .describe('Largest gRPC request accepted; larger ones fail with RESOURCE_EXHAUSTED'),
});

/** Configuration of a service that uses Kafka; services extend their schema with it. */
export const messagingSchema = z.object({
  KAFKA_BROKERS: csvList()
    .refine((brokers) => brokers.length > 0, 'at least one host:port')
    .describe('Kafka bootstrap brokers, comma-separated host:port'),
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes and underscores')
    .max(64)
    .default('')
    .describe(
      'Prefix of every topic and consumer group, so environments or test runs can share one cluster',
    ),
  OUTBOX_POLL_INTERVAL: duration()
    // 0 would poll the database in a busy loop; past ~24.8 days setTimeout would fire at once.
    .refine((ms) => ms > 0 && ms <= DAY_MS, 'expected a duration longer than 0 and at most 1d')
    .default(200)
    .describe('How often the outbox relay looks for new events'),
  CONSUMER_MAX_ATTEMPTS: integer({ min: 1, max: 20 })
    .default(5)
    .describe('Attempts per event before it is parked on the dead-letter topic'),
  OUTBOX_RETENTION: duration()
    .refine((ms) => ms > 0, 'expected a duration longer than 0')
    .default(7 * DAY_MS)
    .describe('How long a published outbox row is kept before the retention sweep deletes it'),
  INBOX_RETENTION: duration()
    .refine((ms) => ms > 0, 'expected a duration longer than 0')
    .default(14 * DAY_MS)
    .describe(
      "How long the inbox remembers a processed event id; must exceed the consumed topics' retention (the broker default, 7 days), so a replayed event is still recognised as processed",
    ),
  RETENTION_SWEEP_INTERVAL: duration()
    .refine((ms) => ms > 0 && ms <= DAY_MS, 'expected a duration longer than 0 and at most 1d')
    .default(10 * MINUTE_MS)
    .describe('How often one replica deletes expired outbox and inbox rows'),
});

/** Where a service keeps its data. */
export const databaseSchema = z.object({
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] })
    .optional()
    .describe('PostgreSQL connection URL; without it the service uses embedded PGlite'),
  DATA_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('PGlite data directory; without it data is kept in memory'),
  DATABASE_PREPARED_STATEMENTS: bool()
    .default(true)
    .describe(
      'Prepare each query once per PostgreSQL connection; false behind a pooler that cannot keep prepared statements (PgBouncer transaction mode before 1.21)',
    ),
});

/**
 * The whole configuration schema of a NestJS service: the shared server, Kafka and database
 * settings, its ports with their defaults from the contracts package, and its own variables.
 */
export function serviceConfigSchema<Shape extends z.ZodRawShape>(
  service: keyof typeof SERVICE_PORTS,
  shape: Shape,
) {
  return grpcServiceSchema
    .extend(messagingSchema.shape)
    .extend(databaseSchema.shape)
    .extend({
      GRPC_PORT: port({ allowZero: true })
        .default(SERVICE_PORTS[service].grpc)
        .describe('Port of the gRPC server (0: any free port)'),
      HTTP_PORT: port({ allowZero: true })
        .default(SERVICE_PORTS[service].http)
        .describe('Port of /health and /metrics (0: any free port)'),
    })
    .extend(shape);
}
