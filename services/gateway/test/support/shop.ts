import { randomUUID } from 'node:crypto';
import { createTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { loadOrderConfig, startOrderService } from '@mercato/order-service';
import { loadPaymentConfig, startPaymentService } from '@mercato/payment-service';
import { loadProductConfig, startProductService } from '@mercato/product-service';
import { freePort, type RunningGrpcService } from '@mercato/service-kit';
import { loadGatewayConfig, type GatewayConfig } from '../../src/server.js';

/** The signing key of every test gateway (tests mint their own malformed tokens with it). */
export const TEST_JWT_SECRET = 'test-secret-of-the-gateway-suite-0123456789';

const COMMON = {
  HOST: '127.0.0.1',
  HTTP_PORT: '0',
  LOG_LEVEL: 'error',
  SHUTDOWN_DRAIN_DELAY: '0',
  SHUTDOWN_TIMEOUT: '10s',
  OUTBOX_POLL_INTERVAL: '50ms',
};

/** Ports, databases and a Kafka namespace of one test shop. */
export interface ShopEnvironment {
  brokers: string;
  namespace: string;
  databases: { product: string; order: string; payment: string };
  ports: { product: number; order: number; payment: number };
}

/** Fresh PostgreSQL databases, ports and a Kafka namespace. */
export async function newShopEnvironment(): Promise<ShopEnvironment> {
  const infra = testInfraEnvironment();
  if (!infra.databaseUrl)
    throw new Error('TEST_DATABASE_URL is not set: the jest globalSetup starts PostgreSQL');
  return {
    brokers: infra.kafkaBrokers.join(','),
    namespace: `gw-${randomUUID().slice(0, 8)}.`,
    databases: {
      product: await createTestDatabase(infra.databaseUrl, 'product'),
      order: await createTestDatabase(infra.databaseUrl, 'order'),
      payment: await createTestDatabase(infra.databaseUrl, 'payment'),
    },
    ports: { product: await freePort(), order: await freePort(), payment: await freePort() },
  };
}

const kafka = (env: ShopEnvironment) => ({
  KAFKA_BROKERS: env.brokers,
  KAFKA_NAMESPACE: env.namespace,
});

/** Starts the product service of a shop (with the demo catalog), e.g. again after stopping it. */
export const startShopProduct = (env: ShopEnvironment): Promise<RunningGrpcService> =>
  startProductService(
    loadProductConfig({
      env: {
        ...COMMON,
        ...kafka(env),
        GRPC_PORT: String(env.ports.product),
        DATABASE_URL: env.databases.product,
        SEED_CATALOG: 'true',
      },
    }),
  );

/** The product, order and payment services on loopback with a real broker and PostgreSQL. */
export interface Shop {
  env: ShopEnvironment;
  product: RunningGrpcService;
  order: RunningGrpcService;
  payment: RunningGrpcService;
  stop(): Promise<void>;
}

/** Starts all three services behind the gateway. */
export async function startShop(): Promise<Shop> {
  const env = await newShopEnvironment();
  const product = await startShopProduct(env);
  const order = await startOrderService(
    loadOrderConfig({
      env: {
        ...COMMON,
        ...kafka(env),
        GRPC_PORT: String(env.ports.order),
        DATABASE_URL: env.databases.order,
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.product}`,
        PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.payment}`,
      },
    }),
  );
  const payment = await startPaymentService(
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
  return {
    env,
    product,
    order,
    payment,
    async stop() {
      for (const service of [payment, order, product]) await service.close().catch(() => undefined);
    },
  };
}

/** A gateway configuration pointing at a shop's ports; `extra` overrides variables. */
export function gatewayConfig(
  ports: { product: number; order: number; payment: number },
  extra: Record<string, string> = {},
): GatewayConfig {
  return loadGatewayConfig({
    env: {
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      SHUTDOWN_DRAIN_DELAY: '0',
      SHUTDOWN_TIMEOUT: '5s',
      JWT_SECRET: TEST_JWT_SECRET,
      PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${ports.product}`,
      ORDER_SERVICE_ADDRESSES: `127.0.0.1:${ports.order}`,
      PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${ports.payment}`,
      ...extra,
    },
  });
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
