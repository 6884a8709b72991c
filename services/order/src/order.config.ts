import {
  csvList,
  duration,
  loadConfig,
  type Config,
  type LoadConfigOptions,
} from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { serviceConfigSchema } from '@mercato/service-kit';

/** Every variable the order service reads. */
export const orderConfigSchema = serviceConfigSchema('order', {
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
