import { describe, expect, it } from '@jest/globals';
import { type Database } from '@mercato/db';
import { createLogger } from '@mercato/logger';
import { kafkaMetrics } from '@mercato/metrics';
import { type Admin, type Kafka, KafkaJSError } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaEventConsumer } from './consumer.js';
import { type EventPublisher } from './publisher.js';

const TOPIC = 'orders';

/** What a real broker answers to a metadata request for a topic it has not taken in yet. */
const notHosted = () =>
  new KafkaJSError('This server does not host this topic-partition', { retriable: true });

/** A stand-in kafkajs consumer: records its calls; `subscribe` fails with what it is given. */
class FakeKafkaConsumer {
  readonly events = { REBALANCING: 'rebalancing', GROUP_JOIN: 'group-join', CRASH: 'crash' };
  subscribed = false;
  running = false;
  disconnected = false;

  constructor(private readonly subscribeFailure: Error | undefined) {}

  on(): void {}
  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {
    if (this.subscribeFailure) throw this.subscribeFailure;
    this.subscribed = true;
  }
  async run(): Promise<void> {
    this.running = true;
  }
  pause(): void {}
  async commitOffsets(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

/**
 * A consumer over stand-ins whose kafkajs consumers fail `subscribe` with the given errors in turn
 * (undefined: succeeds).
 */
function setup(subscribeFailures: (Error | undefined)[]) {
  const consumers: FakeKafkaConsumer[] = [];
  const deadLetterPublishers: { connected: boolean }[] = [];
  const kafka = {
    consumer: () => {
      const consumer = new FakeKafkaConsumer(subscribeFailures.shift());
      consumers.push(consumer);
      return consumer;
    },
  } as unknown as Kafka;
  const admin = {
    listTopics: async () => [TOPIC, `${TOPIC}.dlq`],
    fetchTopicOffsets: async () => [],
    fetchOffsets: async () => [],
  } as unknown as Admin;
  const consumer = new KafkaEventConsumer(
    {
      groupId: 'test-group',
      topics: [TOPIC],
      db: {} as Database,
      handler: async () => undefined,
      logger: createLogger({ service: 'test', level: 'silent' }),
    },
    {
      kafka,
      admin: async () => admin,
      createPublisher: (): EventPublisher => {
        const state = { connected: false };
        deadLetterPublishers.push(state);
        return {
          connect: async () => void (state.connected = true),
          disconnect: async () => void (state.connected = false),
          publish: async () => undefined,
        };
      },
      metrics: kafkaMetrics(new Registry()),
      retry: { retries: 0 },
    },
  );
  return { consumer, consumers, deadLetterPublishers };
}

describe('KafkaEventConsumer start-up', () => {
  it('tries again when subscribing meets a topic the broker has not taken in yet, leaving nothing of the failed try connected', async () => {
    const { consumer, consumers, deadLetterPublishers } = setup([notHosted(), notHosted()]);

    await consumer.start();

    expect(consumers.map((kafkaConsumer) => kafkaConsumer.disconnected)).toEqual([
      true,
      true,
      false,
    ]);
    expect(consumers[2]).toMatchObject({ subscribed: true, running: true });
    expect(deadLetterPublishers.map((publisher) => publisher.connected)).toEqual([
      false,
      false,
      true,
    ]);
    await consumer.stop();
    expect(consumers[2]?.disconnected).toBe(true);
  });

  it('fails at once, with nothing connected, on an error that trying again cannot fix', async () => {
    const { consumer, consumers, deadLetterPublishers } = setup([
      new Error('SASL authentication failed'),
    ]);

    await expect(consumer.start()).rejects.toThrow('SASL authentication failed');

    expect(consumers).toHaveLength(1);
    expect(consumers[0]?.disconnected).toBe(true);
    expect(deadLetterPublishers[0]?.connected).toBe(false);
  });

  it('gives up after its attempts with the last error, and may then be started again', async () => {
    const { consumer, consumers } = setup(Array.from({ length: 6 }, notHosted));

    await expect(consumer.start()).rejects.toThrow(
      'This server does not host this topic-partition',
    );
    expect(consumers).toHaveLength(6);
    expect(consumers.every((kafkaConsumer) => kafkaConsumer.disconnected)).toBe(true);

    await consumer.start();
    expect(consumers[6]).toMatchObject({ subscribed: true, running: true });
    await consumer.stop();
  }, 20_000);

  it('stops trying when it is stopped while waiting to try again', async () => {
    const { consumer, consumers } = setup(Array.from({ length: 6 }, notHosted));

    const starting = consumer.start();
    const startFailure = expect(starting).rejects.toThrow('does not host');
    await consumer.stop();
    await startFailure;

    expect(consumers).toHaveLength(1);
    expect(consumers[0]?.disconnected).toBe(true);
  });
});
