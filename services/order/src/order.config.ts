import {
  csvList,
  duration,
  loadConfig,
  port,
  url,
  z,
  type Config,
  type LoadConfigOptions,
} from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { grpcServiceSchema, messagingSchema } from '@mercato/service-kit';

/** Every variable the order service reads. */
export const orderConfigSchema = grpcServiceSchema.extend(messagingSchema.shape).extend({
  GRPC_PORT: port({ allowZero: true })
    .default(DEFAULT_PORTS.order.grpc)
    .describe('Port of the gRPC server'),
  HTTP_PORT: port({ allowZero: true })
    .default(DEFAULT_PORTS.order.http)
    .describe('Port of /health and /metrics'),
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] })
    .optional()
    .describe('PostgreSQL connection URL; without it the service uses embedded PGlite'),
  DATA_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('PGlite data directory; without it data is kept in memory'),
  PRODUCT_SERVICE_ADDRESSES: csvList()
    .default([`127.0.0.1:${DEFAULT_PORTS.product.grpc}`])
    .describe('host:port of the product service, comma-separated for client-side round-robin'),
  PRODUCT_CALL_TIMEOUT: duration()
    .default(2_000)
    .describe('Deadline of each call to the product service'),
  PAYMENT_SERVICE_ADDRESSES: csvList()
    .default([`127.0.0.1:${DEFAULT_PORTS.payment.grpc}`])
    .describe('host:port of the payment service (refunds), comma-separated for round-robin'),
  PAYMENT_CALL_TIMEOUT: duration()
    .default(5_000)
    .describe('Deadline of each call to the payment service'),
});

/** The order service's validated configuration. */
export type OrderConfig = Config<typeof orderConfigSchema>;

/** Loads the configuration; an invalid environment throws one error naming every bad variable. */
export const loadOrderConfig = (options: LoadConfigOptions = {}): OrderConfig =>
  loadConfig(orderConfigSchema, { name: 'order-service', ...options });
