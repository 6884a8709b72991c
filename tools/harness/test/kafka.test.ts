import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { acquireKafka, isKafkaReachable, type KafkaLease } from '../src/index.js';
import { findFreePort } from '../src/processes.js';
import { START_TIMEOUT_MS } from './helpers.js';

describe('Kafka from acquireKafka()', () => {
  let lease: KafkaLease;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    lease = await acquireKafka();
    kafka = new Kafka({
      clientId: 'harness-test',
      brokers: [...lease.brokers],
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await admin?.disconnect();
    await lease?.release();
  });

  async function createTopic(): Promise<string> {
    const topic = `harness-test.${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    return topic;
  }

  /** Consumes `count` messages as a member of `groupId`, committing each one, then leaves the group. */
  async function consumeAndCommit(
    topic: string,
    groupId: string,
    count: number,
  ): Promise<string[]> {
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            values.push(message.value?.toString() ?? '');
            await consumer.commitOffsets([
              { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
            ]);
            if (values.length === count) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return values;
  }

  it('delivers produced messages, with keys and headers, to a consumer', async () => {
    const topic = await createTopic();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'order-1', value: 'created', headers: { traceparent: '00-abc-def-01' } }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `harness-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key?: string; value?: string; traceparent?: string }>(
      (resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) =>
              resolve({
                key: message.key?.toString(),
                value: message.value?.toString(),
                traceparent: message.headers?.traceparent?.toString(),
              }),
          })
          .catch(reject);
      },
    );
    await consumer.disconnect();

    expect(received).toEqual({ key: 'order-1', value: 'created', traceparent: '00-abc-def-01' });
  });

  it('resumes a consumer group from its committed offset after the consumer restarts', async () => {
    const topic = await createTopic();
    const groupId = `harness-rejoin-${randomUUID()}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: ['first-1', 'first-2', 'first-3'].map((value) => ({ value })),
    });

    expect(await consumeAndCommit(topic, groupId, 3)).toEqual(['first-1', 'first-2', 'first-3']);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions).toEqual([{ partition: 0, offset: '3', metadata: null }]);

    await producer.send({ topic, messages: ['second-1', 'second-2'].map((value) => ({ value })) });
    await producer.disconnect();

    expect(await consumeAndCommit(topic, groupId, 2)).toEqual(['second-1', 'second-2']);
  });

  it('uses given brokers that answer, and never stops them', async () => {
    const external = await acquireKafka({ externalBrokers: lease.brokers });
    expect(external.source).toBe('environment');
    expect(external.brokers).toEqual(lease.brokers);

    await external.release();
    expect(await isKafkaReachable(lease.brokers)).toBe(true);
  });

  it(
    'falls through to the harness broker when the given brokers do not answer',
    async () => {
      const deadBroker = `127.0.0.1:${await findFreePort()}`;
      const fallback = await acquireKafka({ externalBrokers: [deadBroker], docker: false });

      expect(fallback.source).toBe('harness');
      expect(await isKafkaReachable(fallback.brokers)).toBe(true);
      await fallback.release();
    },
    START_TIMEOUT_MS,
  );
});
