export { addProduct, stockOf } from '../../src/testing.js';
import { randomUUID } from 'node:crypto';
import type { ServiceError } from '@grpc/grpc-js';
import { ProductServiceClient } from '@mercato/contracts/product';
import type { Database } from '@mercato/db';
import { createClient, type PromiseClient } from '@mercato/grpc';
import { createTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { DATABASE, type RunningGrpcService } from '@mercato/service-kit';
import { loadProductConfig, startProductService } from '../../src/app.js';

/** The databases every behavioural suite runs against. */
export const BACKENDS = ['pglite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/** A product service on loopback with a generated client, as other services see it. */
export interface ProductUnderTest {
  service: RunningGrpcService;
  client: PromiseClient<ProductServiceClient>;
  db: Database;
  /** The test broker and this instance's topic prefix (KAFKA_NAMESPACE), to read what it published. */
  kafka: { brokers: readonly string[]; namespace: string };
  stop(): Promise<void>;
}

/** Starts the product service on free ports against a fresh database of the given backend. */
export async function startProductUnderTest(
  backend: Backend,
  env: Record<string, string> = {},
): Promise<ProductUnderTest> {
  const databaseUrl =
    backend === 'postgres' ? await createTestDatabase(requiredDatabaseUrl(), 'product') : undefined;
  const kafka = {
    brokers: testInfraEnvironment().kafkaBrokers,
    namespace: `test-${randomUUID().slice(0, 8)}.`,
  };
  const config = loadProductConfig({
    env: {
      HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      LOG_LEVEL: 'error',
      SHUTDOWN_DRAIN_DELAY: '0',
      SHUTDOWN_TIMEOUT: '5s',
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_NAMESPACE: kafka.namespace,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
  });
  const service = await startProductService(config);
  const client = createClient(ProductServiceClient, {
    addresses: [service.grpcAddress],
    defaultDeadlineMs: 10_000,
  });
  return {
    service,
    client,
    db: service.app.get<Database>(DATABASE),
    kafka,
    async stop() {
      client.close();
      await service.close();
    },
  };
}

function requiredDatabaseUrl(): string {
  const { databaseUrl } = testInfraEnvironment();
  if (!databaseUrl)
    throw new Error('TEST_DATABASE_URL is not set: the jest globalSetup starts PostgreSQL');
  return databaseUrl;
}

/** The error a call failed with (fails the test if the call succeeded). */
export async function failure(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: ServiceError) => error,
  );
}
