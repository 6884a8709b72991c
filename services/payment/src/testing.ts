/**
 * Test support shared by the saga, chaos and gateway suites: a whole shop (product, order and
 * payment services) on loopback with a real broker and PostgreSQL, from the harness.
 */
export { addProduct, stockOf } from '@mercato/product-service/testing';
import { randomUUID } from 'node:crypto';
import { OrderServiceClient } from '@mercato/contracts/order';
import { PaymentServiceClient } from '@mercato/contracts/payment';
import type { Database } from '@mercato/db';
import { createClient, type PromiseClient } from '@mercato/grpc';
import { createTestDatabase, reservePort, testInfraEnvironment } from '@mercato/harness';
import { loadOrderConfig, startOrderService } from '@mercato/order-service';
import { loadProductConfig, startProductService } from '@mercato/product-service';
import { DATABASE, type RunningGrpcService } from '@mercato/service-kit';
import { loadPaymentConfig, startPaymentService } from './app.js';

/** Settings every service of a test shop shares. */
export interface ShopEnvironment {
  brokers: string;
  namespace: string;
  databases: { product: string; order: string; payment: string };
  ports: { product: number; order: number; payment: number };
}

/** A whole shop — product, order and payment — on loopback, sharing one Kafka namespace. */
export interface Shop {
  env: ShopEnvironment;
  product: RunningGrpcService;
  order: RunningGrpcService;
  payment: RunningGrpcService;
  db: { product: Database; order: Database; payment: Database };
  orders: PromiseClient<OrderServiceClient>;
  payments: PromiseClient<PaymentServiceClient>;
  stop(): Promise<void>;
}

const COMMON = {
  HOST: '127.0.0.1',
  HTTP_PORT: '0',
  LOG_LEVEL: 'error',
  SHUTDOWN_DRAIN_DELAY: '0',
  SHUTDOWN_TIMEOUT: '10s',
  OUTBOX_POLL_INTERVAL: '50ms',
};

/** Fresh PostgreSQL databases, ports and a Kafka namespace for one shop. */
export async function newShopEnvironment(
  brokers = testInfraEnvironment().kafkaBrokers.join(','),
): Promise<ShopEnvironment> {
  const serverUrl = testInfraEnvironment().databaseUrl;
  if (!serverUrl)
    throw new Error('TEST_DATABASE_URL is not set: the jest globalSetup starts PostgreSQL');
  return {
    brokers,
    namespace: `shop-${randomUUID().slice(0, 8)}.`,
    databases: {
      product: await createTestDatabase(serverUrl, 'product'),
      order: await createTestDatabase(serverUrl, 'order'),
      payment: await createTestDatabase(serverUrl, 'payment'),
    },
    // Reserved below the ephemeral range (D41): a port found free with listen(0) can be another
    // process's by the time a service binds it, or when the chaos suite restarts one on it.
    ports: {
      product: await reservePort(),
      order: await reservePort(),
      payment: await reservePort(),
    },
  };
}

const kafka = (env: ShopEnvironment) => ({
  KAFKA_BROKERS: env.brokers,
  KAFKA_NAMESPACE: env.namespace,
});

/** The environment variables of the order service of a shop (also used to run it as a process). */
export function orderEnv(
  env: ShopEnvironment,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...COMMON,
    ...kafka(env),
    GRPC_PORT: String(env.ports.order),
    DATABASE_URL: env.databases.order,
    PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.product}`,
    PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.payment}`,
    ...extra,
  };
}

export const startShopProduct = (env: ShopEnvironment, options: { seedCatalog?: boolean } = {}) =>
  startProductService(
    loadProductConfig({
      env: {
        ...COMMON,
        ...kafka(env),
        GRPC_PORT: String(env.ports.product),
        DATABASE_URL: env.databases.product,
        SEED_CATALOG: String(options.seedCatalog ?? false),
      },
    }),
  );

export const startShopOrder = (env: ShopEnvironment, extra: Record<string, string> = {}) =>
  startOrderService(loadOrderConfig({ env: orderEnv(env, extra) }));

export const startShopPayment = (env: ShopEnvironment) =>
  startPaymentService(
    loadPaymentConfig({
      env: {
        ...COMMON,
        ...kafka(env),
        GRPC_PORT: String(env.ports.payment),
        DATABASE_URL: env.databases.payment,
        ORDER_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.order}`,
      },
    }),
  );

/** Starts all three services of a shop. */
export async function startShop(
  env?: ShopEnvironment,
  options: { seedCatalog?: boolean } = {},
): Promise<Shop> {
  const environment = env ?? (await newShopEnvironment());
  // A service that fails to start must not leave the ones started before it running: their
  // servers and Kafka clients would keep the test process alive after the failure is reported.
  const started: RunningGrpcService[] = [];
  const start = async (starting: () => Promise<RunningGrpcService>) => {
    try {
      const service = await starting();
      started.push(service);
      return service;
    } catch (error) {
      for (const running of started.reverse()) await running.close().catch(() => undefined);
      throw error;
    }
  };
  const product = await start(() => startShopProduct(environment, options));
  const order = await start(() => startShopOrder(environment));
  const payment = await start(() => startShopPayment(environment));
  const orders = createClient(OrderServiceClient, {
    addresses: [order.grpcAddress],
    defaultDeadlineMs: 20_000,
  });
  const payments = createClient(PaymentServiceClient, {
    addresses: [payment.grpcAddress],
    defaultDeadlineMs: 20_000,
  });
  return {
    env: environment,
    product,
    order,
    payment,
    db: {
      product: product.app.get<Database>(DATABASE),
      order: order.app.get<Database>(DATABASE),
      payment: payment.app.get<Database>(DATABASE),
    },
    orders,
    payments,
    async stop() {
      orders.close();
      payments.close();
      for (const service of [payment, order, product]) await service.close().catch(() => undefined);
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time is up; then fails with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The database of a running service. */
export const databaseOf = (service: RunningGrpcService): Database =>
  service.app.get<Database>(DATABASE);
