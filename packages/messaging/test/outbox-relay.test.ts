import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEvent, type EventEnvelope } from '@mercato/contracts';
import { type Database, type Queryable } from '@mercato/db';
import { runWithLogContext } from '@mercato/logger';
import { Registry } from 'prom-client';
import {
  appendToOutbox,
  createMessagingClient,
  OutboxRelay,
  type EventPublisher,
  type MessagingClient,
  type OutgoingRecord,
} from '../src/index.js';
import {
  eventually,
  KafkaInspector,
  kafkaBrokers,
  pgliteBackend,
  postgresBackend,
  testLogger,
  uniqueName,
  valuesByKey,
  type TestBackend,
} from './support.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A publisher in front of the real one that can hold or fail publishes, and remembers every call. */
class ControlledPublisher implements EventPublisher {
  readonly calls: OutgoingRecord[][] = [];
  failuresLeft = 0;
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;

  constructor(private readonly inner: EventPublisher) {}

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open();
  }

  async connect(): Promise<void> {
    await this.inner.connect();
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    this.calls.push([...records]);
    await this.#gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('broker unavailable');
    }
    await this.inner.publish(records);
  }

  async disconnect(): Promise<void> {
    await this.inner.disconnect();
  }
}

/** Appends events in one transaction and remembers, per key, the order they were appended in. */
class Appender {
  readonly appended = new Map<string, string[]>();
  #sequence = 0;

  constructor(private readonly topic: string) {}

  event(key: string): EventEnvelope {
    this.#sequence += 1;
    return createEvent('order.cancelled.v1', 'order-service', {
      orderId: key,
      reason: `step ${this.#sequence}`,
    });
  }

  async append(db: Database, keys: readonly string[]): Promise<void> {
    await db.transaction(async (tx) => {
      for (const key of keys) await this.appendOne(tx, key);
    });
  }

  async appendOne(tx: Queryable, key: string): Promise<void> {
    const event = this.event(key);
    await appendToOutbox(tx, event, { topic: this.topic });
    this.appended.set(key, [...(this.appended.get(key) ?? []), reasonOf(event)]);
  }
}

function reasonOf(event: EventEnvelope): string {
  return (event.data as { reason: string }).reason;
}

async function unpublishedCount(db: Database): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    'SELECT count(*) AS count FROM outbox WHERE published_at IS NULL',
  );
  return rows[0]?.count ?? -1;
}

function readReasons(records: Awaited<ReturnType<KafkaInspector['read']>>): Map<string, string[]> {
  return valuesByKey(records, (record) => reasonOf(JSON.parse(record.value) as EventEnvelope));
}

const KEYS = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e'];

describe.each([pgliteBackend(), postgresBackend()])(
  'OutboxRelay on $kind',
  (backend: TestBackend) => {
    let client: MessagingClient;
    let inspector: KafkaInspector;
    const publishers: EventPublisher[] = [];

    beforeAll(async () => {
      client = createMessagingClient({
        brokers: kafkaBrokers(),
        clientId: 'relay-test',
        logger: testLogger().logger,
      });
      inspector = new KafkaInspector();
      await inspector.connect();
    });

    afterAll(async () => {
      await client.close();
      await inspector.disconnect();
      await backend.cleanup();
    });

    async function newTopic(): Promise<string> {
      const topic = uniqueName('test-orders');
      await client.ensureTopics([{ topic, partitions: 3 }]);
      return topic;
    }

    async function connectedPublisher(): Promise<EventPublisher> {
      const publisher = client.createPublisher();
      await publisher.connect();
      publishers.push(publisher);
      return publisher;
    }

    /**
     * A started relay that leads, whose first pass found nothing, and that polls only every ten
     * minutes — far beyond eventually()'s patience: only a commit's wake-up, or a pass the relay
     * schedules itself, can act in time.
     */
    async function waitingLeader(db: Database): Promise<OutboxRelay> {
      const relay = new OutboxRelay({
        db,
        publisher: await connectedPublisher(),
        lockKey: uniqueName('relay'),
        pollIntervalMs: 600_000,
        logger: testLogger().logger,
      });
      relay.start();
      await eventually(() => expect(relay.isLeader).toBe(true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      return relay;
    }

    it('publishes committed rows in append order per key, never a rolled-back one, and marks them only after the ack', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const appender = new Appender(topic);
      for (let round = 0; round < 4; round += 1) await appender.append(db, KEYS.slice(0, 3));
      await runWithLogContext({ traceparent: TRACEPARENT }, () => appender.append(db, ['order-a']));
      const rolledBack = appender.event('order-a');
      await expect(
        db.transaction(async (tx) => {
          await appendToOutbox(tx, rolledBack, { topic });
          throw new Error('the order could not be stored');
        }),
      ).rejects.toThrow('the order could not be stored');
      const publisher = new ControlledPublisher(await connectedPublisher());
      const relay = new OutboxRelay({
        db,
        publisher,
        lockKey: uniqueName('relay'),
        logger: testLogger().logger,
      });

      publisher.hold();
      const pass = relay.relayOnce();
      await eventually(() => expect(publisher.calls).toHaveLength(1));
      expect(await unpublishedCount(db)).toBe(13);
      publisher.release();

      expect(await pass).toBe(13);
      expect(await unpublishedCount(db)).toBe(0);
      const records = await inspector.read(topic, 13);
      expect(readReasons(records)).toEqual(appender.appended);
      expect(await inspector.recordCount(topic)).toBe(13);
      expect(records.map((record) => (JSON.parse(record.value) as EventEnvelope).id)).not.toContain(
        rolledBack.id,
      );
      const traced = records.find((record) => record.headers.traceparent !== undefined);
      expect(traced?.headers).toEqual({
        traceparent: TRACEPARENT,
        'event-type': 'order.cancelled.v1',
        'content-type': 'application/json',
      });
      await relay.stop();
    });

    it('leaves rows unpublished when the broker does not acknowledge, then retries the same rows first', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const appender = new Appender(topic);
      for (let round = 0; round < 3; round += 1) await appender.append(db, KEYS);
      const publisher = new ControlledPublisher(await connectedPublisher());
      publisher.failuresLeft = 2;
      const registry = new Registry();
      const relay = new OutboxRelay({
        db,
        publisher,
        lockKey: uniqueName('relay'),
        batchSize: 10,
        retryBackoffMs: { initial: 20, max: 40 },
        logger: testLogger().logger,
        registry,
      });

      await expect(relay.relayOnce()).rejects.toThrow('broker unavailable');
      expect(await unpublishedCount(db)).toBe(15);
      // Rows appended after the failure must not overtake the failed batch.
      await appender.append(db, ['order-a']);
      relay.start();
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await relay.stop();

      const ids = (call: OutgoingRecord[] | undefined) =>
        call?.map((record) => record.value.toString());
      expect(ids(publisher.calls[1])).toEqual(ids(publisher.calls[0]));
      expect(ids(publisher.calls[2])).toEqual(ids(publisher.calls[0]));
      const records = await inspector.read(topic, 16);
      expect(readReasons(records)).toEqual(appender.appended);
      expect(await inspector.recordCount(topic)).toBe(16);
      expect(await registry.metrics()).toMatch(/outbox_relay_failures_total\{relay="[^"]+"\} 1/);
    });

    it('continues after a restart (a new relay) without losing rows or publishing marked ones again', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const appender = new Appender(topic);
      const lockKey = uniqueName('relay');
      const options = { db, lockKey, pollIntervalMs: 20, batchSize: 7 };
      const first = new OutboxRelay({
        ...options,
        publisher: await connectedPublisher(),
        logger: testLogger().logger,
      });
      first.start();
      for (let round = 0; round < 4; round += 1) await appender.append(db, KEYS);
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await first.stop();

      for (let round = 0; round < 4; round += 1) await appender.append(db, KEYS);
      expect(await unpublishedCount(db)).toBe(20);
      const second = new OutboxRelay({
        ...options,
        publisher: await connectedPublisher(),
        logger: testLogger().logger,
      });
      second.start();
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await second.stop();

      const records = await inspector.read(topic, 40);
      expect(readReasons(records)).toEqual(appender.appended);
      expect(await inspector.recordCount(topic)).toBe(40);
    });

    it('is woken by the commit of new rows, from any replica, instead of waiting for its next poll', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const replica = await backend.replicaOf(db);
      const appender = new Appender(topic);
      const relay = await waitingLeader(db);
      await appender.append(replica, ['order-a']);
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await appender.append(db, ['order-b', 'order-c']);
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await relay.stop();

      const records = await inspector.read(topic, 3);
      expect(readReasons(records)).toEqual(appender.appended);
    });

    it('marks what its loop published without waiting for a poll, at the latest when it stops, and publishes it once', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const appender = new Appender(topic);
      const relay = await waitingLeader(db);

      // No commit follows and no poll comes: the pass that marks it comes by itself.
      await appender.append(db, ['order-a']);
      await eventually(async () => expect(await inspector.recordCount(topic)).toBe(1));
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      // Stopped as soon as the broker has it: stopping marks it.
      await appender.append(db, ['order-b']);
      await eventually(async () => expect(await inspector.recordCount(topic)).toBe(2));
      await relay.stop();
      expect(await unpublishedCount(db)).toBe(0);

      expect(readReasons(await inspector.read(topic, 2))).toEqual(appender.appended);
      expect(await inspector.recordCount(topic)).toBe(2);
    });

    it('relays by polling alone, and says so, when it cannot listen for commits', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      // The same database, except that LISTEN fails (as on a connection limit).
      const deaf: Database = new Proxy(db, {
        get(target, property) {
          if (property === 'listen') return () => Promise.reject(new Error('too many connections'));
          const value = Reflect.get(target, property, target) as unknown;
          // Methods run on the database itself, whose private fields a proxy does not have.
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      const { logger, lines } = testLogger();
      const relay = new OutboxRelay({
        db: deaf,
        publisher: await connectedPublisher(),
        lockKey: uniqueName('relay'),
        pollIntervalMs: 20,
        logger,
      });
      relay.start();
      const appender = new Appender(topic);
      await appender.append(db, KEYS.slice(0, 2));
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      await relay.stop();

      expect(readReasons(await inspector.read(topic, 2))).toEqual(appender.appended);
      const warnings = lines.records().filter((record) => record.level === 'warn');
      expect(warnings.map((record) => record.msg)).toContain(
        'Cannot listen for outbox commits; relaying by polling alone until listening works',
      );
      // Not a warning every pass: the next attempt waits.
      expect(warnings.length).toBeLessThanOrEqual(2);
    });

    it('lets exactly one of two replicas relay; 200 events for 5 keys arrive in append order per key', async () => {
      const topic = await newTopic();
      const db = await backend.open();
      const replica = await backend.replicaOf(db);
      const appender = new Appender(topic);
      const lockKey = uniqueName('relay');
      const relays = [
        new OutboxRelay({
          db,
          publisher: await connectedPublisher(),
          lockKey,
          pollIntervalMs: 20,
          batchSize: 25,
          logger: testLogger().logger,
        }),
        new OutboxRelay({
          db: replica,
          publisher: await connectedPublisher(),
          lockKey,
          pollIntervalMs: 20,
          batchSize: 25,
          logger: testLogger().logger,
        }),
      ];
      for (const relay of relays) relay.start();
      const leaders = () => relays.filter((relay) => relay.isLeader).length;
      await eventually(() => expect(leaders()).toBe(1));

      // Both replicas append, in turns, while the leader publishes.
      for (let round = 0; round < 40; round += 1) {
        await appender.append(round % 2 === 0 ? db : replica, KEYS);
      }
      await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
      expect(leaders()).toBe(1);
      await Promise.all(relays.map((relay) => relay.stop()));

      const records = await inspector.read(topic, 200);
      expect(readReasons(records)).toEqual(appender.appended);
      expect(await inspector.recordCount(topic)).toBe(200);
    });
  },
);

describe('OutboxRelay failover on PostgreSQL', () => {
  const backend = postgresBackend();
  let client: MessagingClient;
  let inspector: KafkaInspector;

  beforeAll(async () => {
    client = createMessagingClient({
      brokers: kafkaBrokers(),
      clientId: 'relay-test',
      logger: testLogger().logger,
    });
    inspector = new KafkaInspector();
    await inspector.connect();
  });

  afterAll(async () => {
    await client.close();
    await inspector.disconnect();
    await backend.cleanup();
  });

  it("notices when the leader's database connection dies, and one replica relays on", async () => {
    const topic = uniqueName('test-orders');
    await client.ensureTopics([{ topic }]);
    const db = await backend.open();
    const replica = await backend.replicaOf(db);
    const appender = new Appender(topic);
    const lockKey = uniqueName('relay');
    const replicas = await Promise.all(
      [db, replica].map(async (handle) => {
        const { logger, lines } = testLogger();
        const publisher = client.createPublisher();
        await publisher.connect();
        return {
          relay: new OutboxRelay({ db: handle, publisher, lockKey, pollIntervalMs: 20, logger }),
          lines,
        };
      }),
    );
    for (const { relay } of replicas) relay.start();
    await eventually(() => expect(replicas.filter(({ relay }) => relay.isLeader)).toHaveLength(1));
    const leader = replicas.find(({ relay }) => relay.isLeader);

    const { rows } = await db.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows).toHaveLength(1);
    await db.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);

    await eventually(() =>
      expect(leader?.lines.records().map((line) => line.msg)).toContain(
        'Lost the outbox relay lock (database connection gone); standing by',
      ),
    );
    for (let round = 0; round < 4; round += 1) await appender.append(db, KEYS);
    await eventually(async () => expect(await unpublishedCount(db)).toBe(0));
    expect(replicas.filter(({ relay }) => relay.isLeader)).toHaveLength(1);
    await Promise.all(replicas.map(({ relay }) => relay.stop()));

    expect(readReasons(await inspector.read(topic, 20))).toEqual(appender.appended);
  });
});
