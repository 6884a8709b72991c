import { randomUUID } from 'node:crypto';
import { createTestDatabase, dropTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { createDatabase, migrate, type Database, type DatabaseKind } from '@mercato/db';
import { createTestPglite } from '@mercato/db/testing';
import { createLogger, type Logger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import { type IHeaders, Kafka, logLevel } from 'kafkajs';
import { MESSAGING_MIGRATIONS } from '../src/index.js';

export { eventually } from '@mercato/harness';

/** The brokers the Jest global setup started (or found). */
export function kafkaBrokers(): string[] {
  const { kafkaBrokers: brokers } = testInfraEnvironment();
  if (brokers.length === 0)
    throw new Error('KAFKA_BROKERS is not set: the jest global setup provides it');
  return [...brokers];
}

/** A topic name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A logger writing JSON lines into memory, where a test can read them. */
export function testLogger(level: 'debug' | 'info' | 'warn' = 'info'): {
  logger: Logger;
  lines: MemoryDestination;
} {
  const lines = new MemoryDestination();
  return { logger: createLogger({ service: 'messaging-test', level, destination: lines }), lines };
}

/** A database engine the suites run against, with the messaging tables migrated. */
export interface TestBackend {
  readonly kind: DatabaseKind;
  open(): Promise<Database>;
  /** A second handle, as another replica would have (its own pool; on PGlite the same instance). */
  replicaOf(db: Database): Promise<Database>;
  cleanup(): Promise<void>;
}

export function pgliteBackend(): TestBackend {
  const opened: Database[] = [];
  return {
    kind: 'pglite',
    async open() {
      const db = await createTestPglite();
      opened.push(db);
      await migrate(db, MESSAGING_MIGRATIONS);
      return db;
    },
    async replicaOf(db) {
      return db;
    },
    async cleanup() {
      await Promise.all(opened.splice(0).map((db) => db.close()));
    },
  };
}

export function postgresBackend(): TestBackend {
  const urls = new Map<Database, string>();
  const created: string[] = [];
  const serverUrl = (): string => {
    const { databaseUrl } = testInfraEnvironment();
    if (!databaseUrl)
      throw new Error('TEST_DATABASE_URL is not set: the jest global setup provides it');
    return databaseUrl;
  };
  const connect = async (url: string): Promise<Database> => {
    const db = await createDatabase({
      url,
      poolSize: 4,
      applicationName: 'mercato-messaging-test',
    });
    urls.set(db, url);
    return db;
  };
  return {
    kind: 'postgres',
    async open() {
      const url = await createTestDatabase(serverUrl(), 'mercato_messaging_test');
      created.push(url);
      const db = await connect(url);
      await migrate(db, MESSAGING_MIGRATIONS);
      return db;
    },
    async replicaOf(db) {
      const url = urls.get(db);
      if (!url) throw new Error('replicaOf() needs a database opened by this backend');
      return connect(url);
    },
    async cleanup() {
      await Promise.all([...urls.keys()].map((db) => db.close()));
      urls.clear();
      await Promise.all(created.splice(0).map((url) => dropTestDatabase(serverUrl(), url)));
    },
  };
}

/** A record as a plain kafkajs consumer sees it. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Plain kafkajs access, independent of the code under test, to check what reached the broker. */
export class KafkaInspector {
  readonly kafka = new Kafka({
    clientId: 'messaging-test',
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });
  readonly admin = this.kafka.admin();

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  /** How many records the topic holds in all (so "no duplicates" needs no waiting). */
  async recordCount(topic: string): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
  }

  /** Reads the first `count` records of `topic` (all partitions) as a fresh consumer group. */
  async read(topic: string, count: number): Promise<ReadRecord[]> {
    const consumer = this.kafka.consumer({
      groupId: uniqueName('inspector'),
      maxWaitTimeInMs: 200,
    });
    const records: ReadRecord[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Read ${records.length} of ${count} records from ${topic}`)),
          30_000,
        );
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              records.push({
                partition,
                offset: message.offset,
                key: message.key?.toString() ?? '',
                value: message.value?.toString() ?? '',
                headers: textOf(message.headers),
              });
              if (records.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return records;
  }
}

function textOf(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).flatMap(([name, value]) =>
      value === undefined
        ? []
        : [[name, (Array.isArray(value) ? value.at(-1) : value)?.toString() ?? '']],
    ),
  );
}

/** The values of each key, in the order they were read (one key's records share a partition). */
export function valuesByKey<T>(
  records: readonly ReadRecord[],
  map: (record: ReadRecord) => T,
): Map<string, T[]> {
  const byKey = new Map<string, T[]>();
  const sorted = [...records].sort(
    (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
  );
  for (const record of sorted) {
    const values = byKey.get(record.key) ?? [];
    values.push(map(record));
    byKey.set(record.key, values);
  }
  return byKey;
}
