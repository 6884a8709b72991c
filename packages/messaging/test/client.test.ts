import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Database } from '@mercato/db';
import { createMessagingClient } from '../src/index.js';
import {
  KafkaInspector,
  kafkaBrokers,
  postgresBackend,
  testLogger,
  uniqueName,
} from './support.js';

describe('MessagingClient', () => {
  const postgres = postgresBackend();
  let inspector: KafkaInspector;
  let db: Database;

  beforeAll(async () => {
    inspector = new KafkaInspector();
    await inspector.connect();
    db = await postgres.open();
  });

  afterAll(async () => {
    await inspector.disconnect();
    await postgres.cleanup();
  });

  it('creates missing topics with their partitions, leaves existing ones alone, and tolerates a race', async () => {
    const clients = [1, 2].map((replica) =>
      createMessagingClient({
        brokers: kafkaBrokers(),
        clientId: `client-test-${replica}`,
        logger: testLogger().logger,
      }),
    );
    const existing = uniqueName('test-existing');
    const fresh = uniqueName('test-fresh');
    try {
      await clients[0]?.ensureTopics([{ topic: existing, partitions: 1 }]);

      // Two replicas starting at once both try to create the same topics.
      await Promise.all(
        clients.map((client) =>
          client.ensureTopics([
            { topic: existing, partitions: 6 },
            { topic: fresh, partitions: 2 },
            { topic: `${fresh}.dlq` },
          ]),
        ),
      );

      const { topics } = await inspector.admin.fetchTopicMetadata({
        topics: [existing, fresh, `${fresh}.dlq`],
      });
      expect(
        Object.fromEntries(topics.map(({ name, partitions }) => [name, partitions.length])),
      ).toEqual({
        [existing]: 1,
        [fresh]: 2,
        [`${fresh}.dlq`]: 3,
      });
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('keeps namespaces apart: prefixed topics, publishes and consumer groups', async () => {
    const namespace = `${uniqueName('ns')}.`;
    const client = createMessagingClient({
      brokers: kafkaBrokers(),
      clientId: 'client-ns',
      namespace,
      logger: testLogger().logger,
    });
    const publisher = client.createPublisher();
    try {
      await client.ensureTopics([{ topic: 'orders', partitions: 1 }]);
      const topics = await inspector.admin.listTopics();
      expect(topics).toContain(`${namespace}orders`);
      await publisher.connect();
      await publisher.publish([{ topic: 'orders', key: 'k1', value: Buffer.from('hello') }]);
      const [record] = await inspector.read(`${namespace}orders`, 1);
      expect(record?.value).toBe('hello');
    } finally {
      await publisher.disconnect();
      await client.close();
    }
  });

  it('stops its consumers and publishers on close, leaving the consumer group', async () => {
    const client = createMessagingClient({
      brokers: kafkaBrokers(),
      clientId: 'client-test',
      logger: testLogger().logger,
    });
    const topic = uniqueName('test-orders');
    await client.ensureTopics([{ topic }, { topic: `${topic}.dlq` }]);
    const groupId = uniqueName('test-group');
    const publisher = client.createPublisher();
    await publisher.connect();
    await client
      .createConsumer({
        groupId,
        topics: [topic],
        db,
        handler: async () => undefined,
        logger: testLogger().logger,
      })
      .start();
    const stateOf = async () => (await inspector.admin.describeGroups([groupId])).groups[0]?.state;
    expect(await stateOf()).toBe('Stable');

    await client.close();

    expect(await stateOf()).toBe('Empty');
    await expect(publisher.publish([{ topic, key: 'k', value: Buffer.from('v') }])).rejects.toThrow(
      /disconnected/,
    );
    expect(() => client.createPublisher()).toThrow(/closed/);
  });
});
