export { addProduct } from '@mercato/product-service/testing';
import { randomUUID } from 'node:crypto';
import { ProductServiceClient } from '@mercato/contracts/product';
import { OrderServiceClient } from '@mercato/contracts/order';
import type { Database } from '@mercato/db';
import { createClient, type PromiseClient } from '@mercato/grpc';
import { createTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { loadProductConfig, startProductService } from '@mercato/product-service';
import { DATABASE, type RunningGrpcService } from '@mercato/service-kit';
import { loadOrderConfig, startOrderService } from '../../src/app.js';

/** The databases every behavioural suite runs against. */
export const BACKENDS = ['pglite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

const COMMON_ENV = {
  HOST: '127.0.0.1',
  GRPC_PORT: '0',
  HTTP_PORT: '0',
  LOG_LEVEL: 'error',
  SHUTDOWN_DRAIN_DELAY: '0',
  SHUTDOWN_TIMEOUT: '5s',
};

/** The real product service and the order service under test, each with its own database. */
export interface OrderStack {
  product: RunningGrpcService;
  order: RunningGrpcService;
  productDb: Database;
  orderDb: Database;
  orders: PromiseClient<OrderServiceClient>;
  products: PromiseClient<ProductServiceClient>;
  /** The brokers and the topic prefix of this stack's own topics and consumer groups. */
  kafka: { brokers: string[]; namespace: string };
  stop(): Promise<void>;
}

async function databaseUrl(backend: Backend, name: string): Promise<Record<string, string>> {
  if (backend === 'pglite') return {};
  const { databaseUrl: serverUrl } = testInfraEnvironment();
  if (!serverUrl)
    throw new Error('TEST_DATABASE_URL is not set: the jest globalSetup starts PostgreSQL');
  return { DATABASE_URL: await createTestDatabase(serverUrl, name) };
}

/** Starts product and order on free loopback ports, order calling product over gRPC. */
export async function startOrderStack(
  backend: Backend,
  orderEnv: Record<string, string> = {},
): Promise<OrderStack> {
  // Each stack gets topics and consumer groups of its own on the shared test broker.
  const kafka = {
    KAFKA_BROKERS: testInfraEnvironment().kafkaBrokers.join(','),
    KAFKA_NAMESPACE: `test-${randomUUID().slice(0, 8)}.`,
  };
  const product = await startProductService(
    loadProductConfig({
      env: {
        ...COMMON_ENV,
        ...kafka,
        SEED_CATALOG: 'false',
        ...(await databaseUrl(backend, 'product')),
      },
    }),
  );
  const order = await startOrderService(
    loadOrderConfig({
      env: {
        ...COMMON_ENV,
        ...kafka,
        PRODUCT_SERVICE_ADDRESSES: product.grpcAddress,
        // These suites prove stock and idempotency under concurrency, not deadlines: 100 requests
        // queued on one PGlite instance on a busy 2-core CI runner outlast the 2 s default, which
        // turns refusals into UNAVAILABLE. The deadline itself is proved with the product service
        // down (the suite passes its own PRODUCT_CALL_TIMEOUT).
        PRODUCT_CALL_TIMEOUT: '30s',
        ...(await databaseUrl(backend, 'order')),
        ...orderEnv,
      },
    }),
  );
  const orders = createClient(OrderServiceClient, {
    addresses: [order.grpcAddress],
    defaultDeadlineMs: 20_000,
  });
  const products = createClient(ProductServiceClient, {
    addresses: [product.grpcAddress],
    defaultDeadlineMs: 20_000,
  });
  return {
    product,
    order,
    productDb: product.app.get<Database>(DATABASE),
    orderDb: order.app.get<Database>(DATABASE),
    orders,
    products,
    kafka: { brokers: kafka.KAFKA_BROKERS.split(','), namespace: kafka.KAFKA_NAMESPACE },
    async stop() {
      orders.close();
      products.close();
      await order.close();
      await product.close().catch(() => undefined);
    },
  };
}

/** The number of rows of a table matching an optional condition. */
export async function countRows(
  db: Database,
  table: 'orders' | 'order_lines' | 'outbox',
  where = 'true',
  params: unknown[] = [],
) {
  const { rows } = await db.query<{ count: string | number }>(
    `SELECT count(*) AS count FROM ${table} WHERE ${where}`,
    params,
  );
  return Number(rows[0]?.count);
}
