import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEvent, serializeEvent } from '@mercato/contracts';
import { migrate, type Database } from '@mercato/db';
import { createTestPglite } from '@mercato/db/testing';
import { eventually, testInfraEnvironment } from '@mercato/harness';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import {
  createMessagingClient,
  MESSAGING_MIGRATIONS,
  PermanentEventError,
  type EventConsumer,
  type EventPublisher,
  type MessagingClient,
} from '@mercato/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { readDeadLetters, runDlqCli } from '@mercato/dlq';

describe('pnpm dlq, against a real broker and a real consumer', () => {
  const namespace = `dlq-${randomUUID().slice(0, 8)}.`;
  const brokers = [...testInfraEnvironment().kafkaBrokers];
  const kafka = new Kafka({ clientId: 'dlq-test', brokers, logLevel: logLevel.NOTHING });
  const groupId = 'product-service';
  let client: MessagingClient;
  let publisher: EventPublisher;
  let consumer: EventConsumer;
  let db: Database;
  // The cause of the failures: while true, the handler rejects every event for good.
  let broken = true;

  /** Runs `pnpm dlq …` as a user would, with the shop's broker and namespace in the environment. */
  async function dlq(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDlqCli(args, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { KAFKA_BROKERS: brokers.join(','), KAFKA_NAMESPACE: namespace },
    });
    return { code, out, err };
  }

  const effects = async (orderId: string) =>
    Number(
      (
        await db.query<{ count: string }>(
          'SELECT count(*) AS count FROM effects WHERE order_id = $1',
          [orderId],
        )
      ).rows[0]!.count,
    );

  /** How far the consumer group has committed on the orders topic (its one partition). */
  async function committed(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({
        groupId: namespace + groupId,
        topics: [`${namespace}orders`],
      });
      return Number(topic?.partitions[0]?.offset ?? -1);
    } finally {
      await admin.disconnect();
    }
  }

  async function publish(orderId: string): Promise<void> {
    const event = createEvent('order.cancelled.v1', 'order-service', { orderId, reason: 'test' });
    await publisher.publish([
      {
        topic: 'orders',
        key: orderId,
        value: Buffer.from(serializeEvent(event)),
        headers: { 'event-type': event.type },
      },
    ]);
  }

  /** Waits until `check` gives something (not undefined or false), then resolves with it. */
  const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
    eventually(
      async () => {
        const value = await check();
        if (value === undefined || value === false) throw new Error(`not yet: ${what}`);
        return value;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

  const letterOf = async (orderId: string, redrives: number) =>
    until(`a dead letter of ${orderId} re-driven ${redrives} times`, async () =>
      (await readDeadLetters(kafka, [`${namespace}orders.dlq`])).find(
        (letter) => letter.key === orderId && letter.redrives === redrives,
      ),
    );

  beforeAll(async () => {
    const logger = createLogger({ service: 'dlq-test', destination: new MemoryDestination() });
    client = createMessagingClient({ brokers, clientId: 'dlq-test', logger, namespace });
    await client.ensureTopics([
      { topic: 'orders', partitions: 1 },
      { topic: 'orders.dlq', partitions: 1 },
    ]);
    db = await createTestPglite();
    await migrate(db, MESSAGING_MIGRATIONS);
    await db.exec('CREATE TABLE effects (event_id uuid PRIMARY KEY, order_id text NOT NULL)');
    publisher = client.createPublisher();
    await publisher.connect();
    consumer = client.createConsumer({
      groupId,
      topics: ['orders'],
      db,
      logger,
      lagIntervalMs: 100,
      handler: async ({ event, transaction }) => {
        if (broken) throw new PermanentEventError('product prd_x is not in the catalog yet');
        await transaction((tx) =>
          tx.query('INSERT INTO effects (event_id, order_id) VALUES ($1, $2)', [
            event.id,
            event.subject,
          ]),
        );
      },
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await client?.close();
    await db?.close();
  });

  it('lists a dead letter with its reason, re-drives it once the cause is fixed — handled exactly once — and a second re-drive has no effect', async () => {
    const orderId = `ord-${randomUUID()}`;
    await publish(orderId);
    const letter = await letterOf(orderId, 0);

    const listed = await dlq('list');
    expect(listed.code).toBe(0);
    const line = listed.out.find((each) => each.startsWith(letter.id));
    expect(line).toContain(`${namespace}${groupId}`);
    expect(line).toContain('order.cancelled.v1');
    expect(line).toContain('PermanentEventError: product prd_x is not in the catalog yet');
    expect(line).toContain('redrives 0');
    expect(await effects(orderId)).toBe(0);

    broken = false;
    const first = await dlq('redrive', letter.id);
    expect(first).toMatchObject({
      code: 0,
      out: [`re-drove ${letter.id} to ${namespace}orders (re-drive 1)`],
    });
    await until('the re-driven event handled', async () => (await effects(orderId)) === 1);
    const handledUpTo = await until('the offset committed', async () => {
      const offset = await committed();
      return offset >= 2 ? offset : undefined;
    });

    // Again: the same letter is still in the dead-letter topic; the inbox makes it a no-op.
    expect((await dlq('redrive', letter.id)).code).toBe(0);
    await until('the second re-drive consumed', async () => (await committed()) > handledUpTo);
    expect(await effects(orderId)).toBe(1);
  }, 90_000);

  it('refuses to re-drive a message past the maximum, and purges the dead-letter topics', async () => {
    broken = true;
    const orderId = `ord-${randomUUID()}`;
    await publish(orderId);
    const original = await letterOf(orderId, 0);

    // Re-driven while the cause is still there, it comes back, counted.
    expect((await dlq('redrive', original.id, '--max-redrives', '1')).code).toBe(0);
    const again = await letterOf(orderId, 1);
    expect(again.headers['x-redrive-count']).toBe('1');

    const refused = await dlq('redrive', again.id, '--max-redrives', '1');
    expect(refused.code).toBe(1);
    expect(refused.out).toEqual([]);
    expect(refused.err).toEqual([
      `refused ${again.id}: re-driven 1 times already (at most 1): fix the cause, or raise --max-redrives`,
    ]);
    expect(await effects(orderId)).toBe(0);

    const purged = await dlq('purge', '--all');
    expect(purged.code).toBe(0);
    expect(purged.out[0]).toMatch(/^purged [1-9]\d* records? from /);
    expect((await dlq('list', '--topic', 'orders')).out).toEqual([
      `no dead letters in ${namespace}orders.dlq`,
    ]);
  }, 90_000);

  it('says what is wrong with a call instead of guessing', async () => {
    expect((await dlq('redrive')).err).toEqual([
      'redrive: name the ids, or --all, or --since TIME',
    ]);
    expect((await dlq('purge')).code).toBe(2);
    expect((await dlq('list', '--topic', 'nope')).err).toEqual([
      '--topic: one of orders, payments, products, not "nope"',
    ]);
    expect((await dlq('show', 'orders.dlq:0:999999')).code).toBe(1);
  }, 60_000);
});
