import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@mercato/logger';
import { kafkaMetrics } from '@mercato/metrics';
import { type ProducerBatch } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaEventPublisher, type ProducerLike } from './publisher.js';

/** A stand-in producer that records what it was asked to send and fails on demand. */
class FakeProducer implements ProducerLike {
  readonly batches: ProducerBatch[] = [];
  connects = 0;
  disconnects = 0;
  failures: Error[] = [];
  connectFailure: Error | undefined;

  async connect(): Promise<void> {
    this.connects += 1;
    if (this.connectFailure) throw this.connectFailure;
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
  }

  async sendBatch(batch: ProducerBatch) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push(batch);
    return [];
  }
}

function kafkaError(name: string, retriable: boolean, cause?: Error): Error {
  return Object.assign(new Error(name, cause ? { cause } : undefined), { name, retriable });
}

function setup(connectFailures: Error[] = []) {
  const producers: FakeProducer[] = [];
  const registry = new Registry();
  const publisher = new KafkaEventPublisher(
    () => {
      const producer = new FakeProducer();
      producer.connectFailure = connectFailures.shift();
      producers.push(producer);
      return producer;
    },
    kafkaMetrics(registry),
    createLogger({ service: 'test', level: 'silent' }),
  );
  return { publisher, producers, registry };
}

const record = (topic: string, key: string, value: string, headers?: Record<string, string>) => ({
  topic,
  key,
  value: Buffer.from(value),
  ...(headers ? { headers } : {}),
});

describe('KafkaEventPublisher', () => {
  it('sends records with acks=all, grouped by topic in their original order', async () => {
    const { publisher, producers, registry } = setup();
    await publisher.connect();

    await publisher.publish([
      record('orders', 'o-1', 'a', { traceparent: 'tp' }),
      record('payments', 'o-1', 'b'),
      record('orders', 'o-2', 'c'),
    ]);

    expect(producers).toHaveLength(1);
    expect(producers[0]?.batches).toEqual([
      {
        acks: -1,
        topicMessages: [
          {
            topic: 'orders',
            messages: [
              { key: 'o-1', value: Buffer.from('a'), headers: { traceparent: 'tp' } },
              { key: 'o-2', value: Buffer.from('c') },
            ],
          },
          { topic: 'payments', messages: [{ key: 'o-1', value: Buffer.from('b') }] },
        ],
      },
    ]);
    expect(await registry.metrics()).toContain(
      'kafka_producer_messages_produced_total{topic="orders"} 2',
    );
  });

  it('keeps its producer after a failure retrying can fix (the broker was away)', async () => {
    const { publisher, producers } = setup();
    await publisher.connect();
    const connectionError = kafkaError('KafkaJSConnectionError', true);
    producers[0]?.failures.push(
      kafkaError('KafkaJSNumberOfRetriesExceeded', false, connectionError),
    );

    await expect(publisher.publish([record('orders', 'o-1', 'a')])).rejects.toThrow();
    await publisher.publish([record('orders', 'o-1', 'a')]);

    expect(producers).toHaveLength(1);
    expect(producers[0]?.batches).toHaveLength(1);
  });

  it('replaces its producer after a failure retrying cannot fix (sequence lost by the broker)', async () => {
    const { publisher, producers } = setup();
    await publisher.connect();
    producers[0]?.failures.push(kafkaError('KafkaJSProtocolError', false));

    await expect(publisher.publish([record('orders', 'o-1', 'a')])).rejects.toThrow();
    await publisher.publish([record('orders', 'o-1', 'a')]);

    expect(producers).toHaveLength(2);
    expect(producers[0]?.disconnects).toBe(1);
    expect(producers[1]?.batches).toHaveLength(1);
  });

  it('closes a producer whose connect failed, and connects a new one on the next call', async () => {
    const { publisher, producers } = setup([kafkaError('KafkaJSConnectionError', true)]);

    await expect(publisher.connect()).rejects.toThrow('KafkaJSConnectionError');
    await new Promise((resolve) => setImmediate(resolve));
    expect(producers[0]?.disconnects).toBe(1);

    await publisher.connect();
    await publisher.publish([record('orders', 'o-1', 'a')]);
    expect(producers).toHaveLength(2);
    expect(producers[1]?.batches).toHaveLength(1);
    expect(producers[1]?.disconnects).toBe(0);
  });

  it('refuses to publish after disconnect, and sends nothing for an empty list', async () => {
    const { publisher, producers } = setup();
    await publisher.publish([]);
    expect(producers).toHaveLength(0);

    await publisher.connect();
    await publisher.disconnect();

    expect(producers[0]?.disconnects).toBe(1);
    await expect(publisher.publish([record('orders', 'o-1', 'a')])).rejects.toThrow(/disconnected/);
  });
});
