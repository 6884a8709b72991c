import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import { queryDatabase, shopKafka, type TestShop } from './shop.js';

/**
 * Where the saga stands for orders that did not settle: each order's row, the events about it in
 * the order and payment services' outboxes (published or not), its payment, and every consumer
 * group partition that has records it has not committed. A failing chaos test prints this, so the
 * CI log alone tells a lost event from a stalled relay or a consumer stuck on one partition.
 */
export async function describeUnsettled(test: TestShop, orderIds: string[]): Promise<string> {
  const sections: string[] = [];
  const section = async (title: string, load: () => Promise<unknown>) => {
    try {
      sections.push(`${title}: ${JSON.stringify(await load(), undefined, 1)}`);
    } catch (error) {
      sections.push(`${title}: could not be read (${String(error)})`);
    }
  };
  await section('orders', () =>
    queryDatabase(
      test.databases.order,
      'SELECT id, status, created_at, updated_at FROM orders WHERE id = ANY($1::uuid[])',
      [orderIds],
    ),
  );
  for (const service of ['order', 'payment'] as const)
    await section(`${service} service outbox`, () =>
      queryDatabase(
        test.databases[service],
        `SELECT id, event_type, message_key, created_at, published_at FROM outbox
          WHERE message_key = ANY($1::text[]) ORDER BY id`,
        [orderIds],
      ),
    );
  await section('payments', () =>
    queryDatabase(
      test.databases.payment,
      'SELECT order_id, status, failure_code, created_at FROM payments WHERE order_id = ANY($1::uuid[])',
      [orderIds],
    ),
  );
  await section('consumer groups behind', () => lagging(test));
  return sections.join('\n');
}

/** The saga's consumer groups and the topic each reads. */
const CONSUMED = [
  [CONSUMER_GROUPS.payment, TOPICS.orders],
  [CONSUMER_GROUPS.product, TOPICS.orders],
  [CONSUMER_GROUPS.order, TOPICS.payments],
] as const;

/** Partitions whose committed offset is behind the end of the log, per consumer group. */
async function lagging(test: TestShop): Promise<unknown[]> {
  const namespace = test.shop.kafkaNamespace;
  const admin = shopKafka(test, 'e2e-diagnosis').admin();
  await admin.connect();
  try {
    const behind: unknown[] = [];
    for (const [group, topic] of CONSUMED) {
      const name = `${namespace}${topic}`;
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(name),
        admin.fetchOffsets({ groupId: `${namespace}${group}`, topics: [name] }),
      ]);
      for (const end of ends) {
        const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset;
        if (at !== end.offset)
          behind.push({ group, topic, partition: end.partition, committed: at, end: end.offset });
      }
    }
    return behind;
  } finally {
    await admin.disconnect();
  }
}
