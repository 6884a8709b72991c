import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createEvent, serializeEvent, type EventEnvelope } from '@mercato/contracts';
import { type Database } from '@mercato/db';
import { getLogContext, runWithLogContext, type LogContext } from '@mercato/logger';
import { Registry } from 'prom-client';
import {
  appendToOutbox,
  createMessagingClient,
  OutboxRelay,
  type ConsumerOptions,
  type EventConsumer,
  type EventHandler,
  type EventPublisher,
  type MessagingClient,
} from '../src/index.js';
import {
  eventually,
  KafkaInspector,
  kafkaBrokers,
  postgresBackend,
  testLogger,
  uniqueName,
} from './support.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function orderCancelled(orderId: string, reason = 'customer asked'): EventEnvelope {
  return createEvent('order.cancelled.v1', 'order-service', { orderId, reason });
}

/** A promise a test resolves by hand, to hold a handler mid-message. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('Kafka event consumer', () => {
  const postgres = postgresBackend();
  let client: MessagingClient;
  let inspector: KafkaInspector;
  let publisher: EventPublisher;
  let db: Database;
  const running: EventConsumer[] = [];

  beforeAll(async () => {
    client = createMessagingClient({
      brokers: kafkaBrokers(),
      clientId: 'consumer-test',
      logger: testLogger().logger,
    });
    inspector = new KafkaInspector();
    await inspector.connect();
    publisher = client.createPublisher();
    await publisher.connect();
    db = await postgres.open();
    await db.exec('CREATE TABLE effects (event_id uuid PRIMARY KEY, order_id text NOT NULL)');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await client.close();
    await inspector.disconnect();
    await postgres.cleanup();
  });

  async function newTopic(partitions = 3): Promise<string> {
    const topic = uniqueName('test-orders');
    await client.ensureTopics([
      { topic, partitions },
      { topic: `${topic}.dlq`, partitions: 1 },
    ]);
    return topic;
  }

  async function startConsumer(
    options: Pick<ConsumerOptions, 'topics' | 'handler'> & Partial<ConsumerOptions>,
  ): Promise<{ consumer: EventConsumer; registry: Registry; groupId: string }> {
    const registry = new Registry();
    const groupId = options.groupId ?? uniqueName('test-group');
    const consumer = client.createConsumer({
      db,
      logger: testLogger().logger,
      maxAttempts: 3,
      retryBackoffMs: { initial: 10, max: 40 },
      lagIntervalMs: 100,
      ...options,
      groupId,
      registry,
    });
    await consumer.start();
    running.push(consumer);
    return { consumer, registry, groupId };
  }

  const recordEffect: EventHandler = ({ event, transaction }) =>
    transaction(async (tx) => {
      await tx.query('INSERT INTO effects (event_id, order_id) VALUES ($1, $2)', [
        event.id,
        event.subject,
      ]);
    });

  async function effectsFor(orderId: string): Promise<number> {
    const { rows } = await db.query<{ count: number }>(
      'SELECT count(*) AS count FROM effects WHERE order_id = $1',
      [orderId],
    );
    return rows[0]?.count ?? -1;
  }

  async function inboxOf(groupId: string): Promise<string[]> {
    const { rows } = await db.query<{ event_id: string }>(
      'SELECT event_id FROM processed_events WHERE consumer_group = $1 ORDER BY event_id',
      [groupId],
    );
    return rows.map((row) => row.event_id);
  }

  async function sampleValue(
    registry: Registry,
    name: string,
    labels: Record<string, string>,
  ): Promise<number | undefined> {
    const metric = await registry.getSingleMetric(name)?.get();
    const sample = metric?.values.find((value) =>
      Object.entries(labels).every(([label, expected]) => String(value.labels[label]) === expected),
    );
    return sample?.value;
  }

  /** How many messages ended with `outcome` (the processing-time histogram's count). */
  async function outcomes(registry: Registry, outcome: string): Promise<number> {
    const metric = await registry.getSingleMetric('kafka_consumer_processing_seconds')?.get();
    // Histogram samples carry the series name (`…_count`), which prom-client's types leave out.
    const sample = metric?.values.find(
      (value) =>
        (value as { metricName?: string }).metricName ===
          'kafka_consumer_processing_seconds_count' && value.labels.outcome === outcome,
    );
    return sample?.value ?? 0;
  }

  async function publish(
    topic: string,
    key: string,
    value: Buffer | string,
    headers?: Record<string, string>,
  ) {
    await publisher.publish([
      { topic, key, value: Buffer.from(value), ...(headers ? { headers } : {}) },
    ]);
  }

  it('commits the change with the inbox row; a redelivered or replayed event has no second effect', async () => {
    const topic = await newTopic();
    const orderId = uniqueName('order');
    const first = orderCancelled(orderId);
    const second = orderCancelled(orderId);
    for (const event of [first, first, second])
      await publish(topic, orderId, serializeEvent(event));
    let calls = 0;
    const handler: EventHandler = async (context) => {
      calls += 1;
      await recordEffect(context);
    };

    const { consumer, registry, groupId } = await startConsumer({ topics: [topic], handler });
    await eventually(async () => expect(await outcomes(registry, 'duplicate')).toBe(1));
    await eventually(async () => expect(await effectsFor(orderId)).toBe(2));
    expect(calls).toBe(2);
    expect(await inboxOf(groupId)).toEqual([first.id, second.id].sort());

    await consumer.stop();
    await inspector.admin.resetOffsets({ groupId, topic, earliest: true });
    const replay = await startConsumer({ topics: [topic], handler, groupId });
    await eventually(async () => expect(await outcomes(replay.registry, 'duplicate')).toBe(3));
    expect(await outcomes(replay.registry, 'processed')).toBe(0);
    expect(calls).toBe(2);
    expect(await effectsFor(orderId)).toBe(2);
  });

  it('dead-letters poison messages with their error and original value, and goes on with the next', async () => {
    const topic = await newTopic();
    const orderId = uniqueName('order');
    const schemaInvalid = JSON.stringify({ ...orderCancelled(orderId), data: { orderId } });
    await publish(topic, orderId, '{"id": 1,', { traceparent: TRACEPARENT });
    await publish(topic, orderId, schemaInvalid);
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));

    const { groupId } = await startConsumer({ topics: [topic], handler: recordEffect });

    await eventually(async () => expect(await effectsFor(orderId)).toBe(1));
    const dead = await inspector.read(`${topic}.dlq`, 2);
    const byValue = new Map(dead.map((record) => [record.value, record]));
    expect(byValue.get('{"id": 1,')?.headers).toEqual({
      traceparent: TRACEPARENT,
      'x-error-message': expect.stringMatching(/^event is not JSON/),
      'x-error-type': 'InvalidEventError',
      'x-original-topic': topic,
      'x-original-partition': expect.stringMatching(/^\d$/),
      'x-original-offset': '0',
      'x-consumer-group': groupId,
      'x-attempts': '1',
      'x-failed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(byValue.get(schemaInvalid)?.headers).toEqual(
      expect.objectContaining({
        'x-error-message': expect.stringContaining('data.reason'),
        'x-error-type': 'InvalidEventError',
        'x-original-offset': '1',
      }),
    );
    expect(dead.map((record) => record.key)).toEqual([orderId, orderId]);
  });

  it('retries a failing handler and processes the event once, on attempt 3, with nothing of the failed attempts kept', async () => {
    const topic = await newTopic();
    const orderId = uniqueName('order');
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
    const attempts: number[] = [];
    const handler: EventHandler = async (context) => {
      attempts.push(context.attempt);
      await context.transaction(async (tx) => {
        await tx.query('INSERT INTO effects (event_id, order_id) VALUES ($1, $2)', [
          context.event.id,
          orderId,
        ]);
        if (context.attempt < 3) throw new Error('payment provider timed out');
      });
    };

    const { groupId } = await startConsumer({ topics: [topic], handler });

    await eventually(async () => expect(await effectsFor(orderId)).toBe(1));
    expect(attempts).toEqual([1, 2, 3]);
    expect(await inboxOf(groupId)).toHaveLength(1);
    expect(await inspector.recordCount(`${topic}.dlq`)).toBe(0);
  });

  it('dead-letters an event whose handler fails every attempt, and goes on with the next', async () => {
    const topic = await newTopic();
    const orderId = uniqueName('order');
    const doomed = orderCancelled(orderId, 'doomed');
    await publish(topic, orderId, serializeEvent(doomed));
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId, 'fine')));
    const attempts: number[] = [];
    const handler: EventHandler = async (context) => {
      if ((context.event.data as { reason: string }).reason === 'doomed') {
        attempts.push(context.attempt);
        throw new Error('payment provider down');
      }
      await recordEffect(context);
    };

    const { groupId, registry } = await startConsumer({ topics: [topic], handler, maxAttempts: 3 });

    await eventually(async () => expect(await effectsFor(orderId)).toBe(1));
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await inspector.read(`${topic}.dlq`, 1);
    expect(dead?.value).toBe(serializeEvent(doomed).toString());
    expect(dead?.headers).toEqual(
      expect.objectContaining({
        'x-error-message': 'payment provider down',
        'x-error-type': 'Error',
        'x-attempts': '3',
        'x-consumer-group': groupId,
      }),
    );
    expect(await inboxOf(groupId)).not.toContain(doomed.id);
    expect(
      await sampleValue(registry, 'kafka_consumer_messages_dead_lettered_total', { topic }),
    ).toBe(1);
    expect(await sampleValue(registry, 'kafka_consumer_messages_failed_total', { topic })).toBe(2);
  });

  it('reports consumer lag per partition, falling to 0 once the group caught up', async () => {
    const topic = await newTopic(1);
    const orderId = uniqueName('order');
    for (let index = 0; index < 5; index += 1)
      await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
    const gate = latch();
    const handler: EventHandler = async (context) => {
      await gate.promise;
      await recordEffect(context);
    };

    const { registry, groupId } = await startConsumer({ topics: [topic], handler });
    const lag = () =>
      sampleValue(registry, 'kafka_consumer_lag_messages', {
        topic,
        partition: '0',
        group: groupId,
      });

    await eventually(async () => expect(await lag()).toBe(5));
    gate.open();
    await eventually(async () => expect(await lag()).toBe(0));
    expect(await effectsFor(orderId)).toBe(5);
  });

  it('stops after the message in flight, committing it, and leaves the rest for the next member', async () => {
    const topic = await newTopic(1);
    const orderId = uniqueName('order');
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
    const started = latch();
    const gate = latch();
    const handler: EventHandler = async (context) => {
      started.open();
      await gate.promise;
      await recordEffect(context);
    };
    const { consumer, groupId } = await startConsumer({ topics: [topic], handler });
    await started.promise;

    const stopping = consumer.stop();
    gate.open();
    await stopping;

    expect(await effectsFor(orderId)).toBe(1);
    const [committed] = await inspector.admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
  });

  /** Events keyed by their subject, in one publish (one batch for a consumer started after it). */
  async function publishAll(topic: string, events: EventEnvelope[]) {
    await publisher.publish(
      events.map((event) => ({
        topic,
        key: event.subject,
        value: Buffer.from(serializeEvent(event)),
      })),
    );
  }

  it("handles the records of different keys in one partition side by side, each key's in order", async () => {
    const topic = await newTopic(1);
    const [a, b] = [uniqueName('order-a'), uniqueName('order-b')];
    const events = [
      orderCancelled(a, 'a1'),
      orderCancelled(b, 'b1'),
      orderCancelled(a, 'a2'),
      orderCancelled(b, 'b2'),
    ];
    // One publish: the consumer, started after it, reads all four in one batch of one partition.
    await publishAll(topic, events);
    const labels = new Map(
      events.map((event) => [event.id, (event.data as { reason: string }).reason]),
    );
    const steps: string[] = [];
    const b1Done = latch();
    const handler: EventHandler = async (context) => {
      const label = labels.get(context.event.id)!;
      steps.push(`${label} start`);
      // a1 is done only once b1, the next record of the partition, is: one record at a time
      // would hold a1 here until the wait gives up, with b1 not even started.
      if (label === 'a1')
        await Promise.race([b1Done.promise, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      await recordEffect(context);
      steps.push(`${label} end`);
      if (label === 'b1') b1Done.open();
    };
    const { groupId } = await startConsumer({ topics: [topic], handler, commitIntervalMs: 100 });

    await eventually(async () => expect(await inboxOf(groupId)).toHaveLength(4));
    const at = (step: string) => steps.indexOf(step);
    expect(at('b1 end')).toBeLessThan(at('a1 end'));
    // One key's records one after the other, in offset order.
    expect(at('a1 end')).toBeLessThan(at('a2 start'));
    expect(at('b1 end')).toBeLessThan(at('b2 start'));
    await eventually(async () => {
      const [entry] = await inspector.admin.fetchOffsets({ groupId, topics: [topic] });
      expect(entry?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '4' })]);
    });
  });

  it('never commits past a record still in flight, though records of other keys after it are done', async () => {
    const topic = await newTopic(1);
    const [slow, quick] = [uniqueName('order-slow'), uniqueName('order-quick')];
    const events = [
      orderCancelled(slow),
      orderCancelled(quick),
      orderCancelled(quick),
      orderCancelled(quick),
    ];
    await publishAll(topic, events);
    const gate = latch();
    const handler: EventHandler = async (context) => {
      if (context.event.subject === slow) await gate.promise;
      await recordEffect(context);
    };
    const { groupId } = await startConsumer({ topics: [topic], handler, commitIntervalMs: 50 });
    const committedOffset = async () => {
      const [entry] = await inspector.admin.fetchOffsets({ groupId, topics: [topic] });
      return entry?.partitions.find(({ partition }) => partition === 0)?.offset;
    };

    await eventually(async () => expect(await effectsFor(quick)).toBe(3));
    // Several commit intervals with the three done and the first record held: nothing committed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await committedOffset()).toBe('-1');
    expect(await effectsFor(slow)).toBe(0);

    gate.open();
    await eventually(async () => expect(await committedOffset()).toBe('4'));
    expect(await effectsFor(slow)).toBe(1);
  });

  it('commits what it resolved once per commit interval, not per record, and the rest at stop', async () => {
    const published = async () => {
      const topic = await newTopic(1);
      const orderId = uniqueName('order');
      for (let index = 0; index < 3; index += 1)
        await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
      return { topic, orderId };
    };
    const committedOffset = async (groupId: string, topic: string) => {
      const [entry] = await inspector.admin.fetchOffsets({ groupId, topics: [topic] });
      return entry?.partitions.find(({ partition }) => partition === 0)?.offset;
    };

    // A short interval: committed while it runs, with no stop.
    const first = await published();
    const often = await startConsumer({
      topics: [first.topic],
      handler: recordEffect,
      commitIntervalMs: 100,
    });
    await eventually(async () =>
      expect(await committedOffset(often.groupId, first.topic)).toBe('3'),
    );
    expect(await effectsFor(first.orderId)).toBe(3);

    // An interval longer than the test: all three are handled, none committed until the stop.
    const second = await published();
    const seldom = await startConsumer({
      topics: [second.topic],
      handler: recordEffect,
      commitIntervalMs: 600_000,
    });
    await eventually(async () => expect(await effectsFor(second.orderId)).toBe(3));
    expect(await committedOffset(seldom.groupId, second.topic)).toBe('-1');
    await seldom.consumer.stop();
    expect(await committedOffset(seldom.groupId, second.topic)).toBe('3');
  });

  it('carries an event from the outbox through the relay to a handler, with the trace context of the request', async () => {
    const topic = await newTopic();
    const orderId = uniqueName('order');
    const event = orderCancelled(orderId);
    // The producing service has a database of its own.
    const producerDb = await postgres.open();
    await runWithLogContext({ traceparent: TRACEPARENT, requestId: 'req-7' }, () =>
      producerDb.transaction((tx) => appendToOutbox(tx, event, { topic })),
    );
    const relayPublisher = client.createPublisher();
    await relayPublisher.connect();
    const relay = new OutboxRelay({
      db: producerDb,
      publisher: relayPublisher,
      lockKey: 'test-relay',
      logger: testLogger().logger,
    });
    relay.start();
    const seen: Array<{ event: EventEnvelope; log: LogContext | undefined }> = [];

    await startConsumer({
      topics: [topic],
      handler: async (context) => {
        seen.push({ event: context.event, log: getLogContext() });
        await recordEffect(context);
      },
    });

    await eventually(async () => expect(await effectsFor(orderId)).toBe(1));
    await relay.stop();
    expect(seen).toEqual([
      {
        event,
        log: expect.objectContaining({
          traceparent: TRACEPARENT,
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          requestId: 'req-7',
          eventId: event.id,
          orderId,
        }),
      },
    ]);
  });

  it('refuses to start while a topic or its dead-letter topic is missing, and starts once it exists', async () => {
    const topic = uniqueName('test-orders');
    await client.ensureTopics([{ topic }]);
    const orderId = uniqueName('order');
    await publish(topic, orderId, serializeEvent(orderCancelled(orderId)));
    const consumer = client.createConsumer({
      groupId: uniqueName('test-group'),
      topics: [topic],
      db,
      handler: recordEffect,
      logger: testLogger().logger,
    });

    await expect(consumer.start()).rejects.toThrow(`Kafka topics ${topic}.dlq do not exist`);
    await client.ensureTopics([{ topic: `${topic}.dlq` }]);
    await consumer.start();
    running.push(consumer);

    await eventually(async () => expect(await effectsFor(orderId)).toBe(1));
  });
});
