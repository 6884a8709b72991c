import { createHook } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createMessagingClient, type MessagingClient } from '../src/index.js';
import { kafkaBrokers, testLogger, uniqueName } from './support.js';

/** Timers created in this process while `during` runs. */
async function timersCreatedDuring(during: () => Promise<void>): Promise<number> {
  let created = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'Timeout') created += 1;
    },
  }).enable();
  try {
    await during();
  } finally {
    hook.disable();
  }
  return created;
}

describe('an idle Kafka client (kafkajs as patched, docs/decisions.md D47)', () => {
  const clients: MessagingClient[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.close())));

  it('does not keep re-arming timers once its requests are answered', async () => {
    const client = createMessagingClient({
      brokers: kafkaBrokers(),
      clientId: 'idle-client-test',
      logger: testLogger().logger,
    });
    clients.push(client);
    const topic = uniqueName('test-idle');
    await client.ensureTopics([{ topic, partitions: 1 }]);
    const publisher = client.createPublisher();
    await publisher.connect();
    await publisher.publish([{ topic, key: 'k', value: Buffer.from('{}') }]);

    // Connected to the broker (admin and producer), every request answered, nothing to send.
    // kafkajs 2.2.4 as published re-arms its pending-request check every millisecond per
    // connection for as long as it lives: about 1,000 timers a second per connection here.
    const timers = await timersCreatedDuring(() => sleep(1_000));
    expect(timers).toBeLessThan(50);
  });
});
