import { exportTestEnvironment, readHarnessEnvironment } from './env.js';
import { formatTimings } from './infra.js';
import { acquireKafka, type AcquireKafkaOptions, type KafkaLease } from './kafka/acquire-kafka.js';
import {
  acquirePostgres,
  type AcquirePostgresOptions,
  type PostgresLease,
} from './postgres/acquire-postgres.js';

/** What a package's test run needs. */
export interface TestInfraOptions {
  /** `true`, or options for `acquireKafka`. */
  readonly kafka?: boolean | AcquireKafkaOptions;
  /** `true`, or options for `acquirePostgres`. */
  readonly postgres?: boolean | AcquirePostgresOptions;
  /** Progress notes (default: one `[harness]` line each on stderr — a first run downloads Kafka for a while). */
  readonly log?: (message: string) => void;
}

/** The addresses `setupTestInfra` published, as test files in Jest workers read them. */
export interface TestInfraEnvironment {
  /** `KAFKA_BROKERS`, split (empty when Kafka was not requested). */
  readonly kafkaBrokers: readonly string[];
  /** `TEST_DATABASE_URL`: superuser URL of the server; pass it to `createTestDatabase`. */
  readonly databaseUrl: string | undefined;
}

// globalSetup and globalTeardown run in the same Jest process; the leases live on globalThis rather
// than in module scope so they survive even if Jest loads this module twice (source and build).
const HELD_LEASES = Symbol.for('@mercato/harness.testInfraLeases');
type GlobalWithLeases = typeof globalThis & { [HELD_LEASES]?: Array<KafkaLease | PostgresLease> };

/**
 * Jest `globalSetup` body: acquires the requested servers (one lease each) and exports
 * `KAFKA_BROKERS` / `TEST_DATABASE_URL` for the test workers.
 */
export async function setupTestInfra(options: TestInfraOptions): Promise<void> {
  const log = options.log ?? ((message: string) => process.stderr.write(`[harness] ${message}\n`));
  const [kafka, postgres] = await Promise.allSettled([
    options.kafka ? acquireKafka({ log, ...asOptions(options.kafka) }) : Promise.resolve(undefined),
    options.postgres
      ? acquirePostgres({ log, ...asOptions(options.postgres) })
      : Promise.resolve(undefined),
  ]);
  const acquired = [kafka, postgres].flatMap((result) =>
    result.status === 'fulfilled' && result.value !== undefined ? [result.value] : [],
  );
  heldLeases().push(...acquired);
  const failure = [kafka, postgres].find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await teardownTestInfra();
    throw failure.reason;
  }
  const kafkaLease = kafka.status === 'fulfilled' ? kafka.value : undefined;
  const postgresLease = postgres.status === 'fulfilled' ? postgres.value : undefined;
  if (kafkaLease) log(`Kafka at ${kafkaLease.brokers.join(',')} (${describeSource(kafkaLease)})`);
  if (postgresLease) log(`PostgreSQL at ${postgresLease.url} (${describeSource(postgresLease)})`);
  exportTestEnvironment({
    KAFKA_BROKERS: kafkaLease?.brokers.join(','),
    TEST_DATABASE_URL: postgresLease?.url,
  });
}

/** Jest `globalTeardown` body: releases what `setupTestInfra` acquired (servers stop with their last lease). */
export async function teardownTestInfra(): Promise<void> {
  const leases = heldLeases().splice(0);
  const results = await Promise.allSettled(leases.map((lease) => lease.release()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Reads the addresses `setupTestInfra` exported, from inside a test file. */
export function testInfraEnvironment(): TestInfraEnvironment {
  const environment = readHarnessEnvironment();
  return { kafkaBrokers: environment.kafkaBrokers, databaseUrl: environment.testDatabaseUrl };
}

function asOptions<T extends object>(choice: true | T): T | Record<string, never> {
  return choice === true ? {} : choice;
}

function heldLeases(): Array<KafkaLease | PostgresLease> {
  return ((globalThis as GlobalWithLeases)[HELD_LEASES] ??= []);
}

function describeSource(lease: KafkaLease | PostgresLease): string {
  if (lease.source !== 'harness') return `from ${lease.source}`;
  return lease.started ? `started, ${formatTimings(lease.startupTimings)}` : 'reused';
}
