import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { createTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { launchShop, type LaunchOptions, type RunningShop } from '@mercato/shop';

/**
 * Where the test shops of the last run keep their service logs, to read after a failure:
 * `artifacts/shop-<random>/logs/<service>-<replica>.log`. The global setup empties it at the start of
 * every run, so nothing piles up.
 */
export const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** Where a test shop keeps its data: a PostgreSQL database per service on the harness server. */
export interface TestShop {
  shop: RunningShop;
  databases: { product: string; order: string; payment: string };
}

/**
 * The shop as separate processes (`node dist/main.js` each, as in production), on free ports, with
 * fresh databases and its own Kafka namespace.
 */
export async function startTestShop(
  options: Pick<LaunchOptions, 'replicas' | 'kafkaBrokers' | 'env'> = {},
): Promise<TestShop> {
  const server = testInfraEnvironment().databaseUrl;
  if (!server)
    throw new Error('TEST_DATABASE_URL is not set: the jest globalSetup starts PostgreSQL');
  const databases = {
    product: await createTestDatabase(server, 'e2e_product'),
    order: await createTestDatabase(server, 'e2e_order'),
    payment: await createTestDatabase(server, 'e2e_payment'),
  };
  await mkdir(ARTIFACTS, { recursive: true });
  const shop = await launchShop({
    kafkaBrokers: options.kafkaBrokers ?? testInfraEnvironment().kafkaBrokers.join(','),
    kafkaNamespace: `e2e-${randomUUID().slice(0, 8)}.`,
    databaseUrls: databases,
    dataDir: await mkdtemp(join(ARTIFACTS, 'shop-')),
    logLevel: 'warn',
    ...(options.replicas ? { replicas: options.replicas } : {}),
    env: {
      ...options.env,
      // Load tests sign in a few customers and send many requests each.
      gateway: { RATE_LIMIT_MAX: '1000000', ...options.env?.gateway },
    },
  });
  return { shop, databases };
}

/** Runs one query against a service's database (for what no API shows: the provider's ledger). */
export async function queryDatabase<Row extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A quiet Kafka client of a test shop's broker, for what a test sends or reads past the services. */
export function shopKafka(test: TestShop, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...test.shop.brokers], logLevel: logLevel.NOTHING });
}
