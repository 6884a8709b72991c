import {
  csvList,
  duration,
  loadConfig,
  type Config,
  type LoadConfigOptions,
} from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { serviceConfigSchema } from '@mercato/service-kit';

/** Every variable the payment service reads. */
export const paymentConfigSchema = serviceConfigSchema('payment', {
  ORDER_SERVICE_ADDRESSES: csvList()
    .default([`127.0.0.1:${DEFAULT_PORTS.order.grpc}`])
    .describe('host:port of the order service, comma-separated for client-side round-robin'),
  ORDER_CALL_TIMEOUT: duration()
    .default(2_000)
    .describe('Deadline of each call to the order service'),
});

/** The payment service's validated configuration. */
export type PaymentConfig = Config<typeof paymentConfigSchema>;

/** Loads the configuration; an invalid environment throws one error naming every bad variable. */
export const loadPaymentConfig = (options: LoadConfigOptions = {}): PaymentConfig =>
  loadConfig(paymentConfigSchema, { name: 'payment-service', ...options });
