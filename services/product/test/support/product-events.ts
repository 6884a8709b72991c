import { expect } from '@jest/globals';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  createEvent,
  parseEvent,
  serializeEvent,
  TOPICS,
  type EventData,
  type EventEnvelope,
  type EventType,
} from '@mercato/contracts';
import type { Database } from '@mercato/db';
import { eventually } from '@mercato/harness';
import type { ProductUnderTest } from './product-under-test.js';

/** A product.changed.v1 as it arrived on the broker, with the record key it was published under. */
export interface PublishedProductChange {
  key: string;
  event: EventEnvelope<'product.changed.v1'>;
}

/**
 * Reads the `products` topic of one product service back from the broker with plain kafkajs (not
 * the code under test), from its first record on: what a gateway replica evicting its cache sees.
 */
export class ProductEventReader {
  readonly #records: PublishedProductChange[] = [];
  /** The highest offset read so far, by partition. */
  readonly #readUpTo = new Map<number, number>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly db: Database,
  ) {}

  /** Starts reading the products topic of `product` (the topic exists once the service started). */
  static async start(product: ProductUnderTest): Promise<ProductEventReader> {
    const kafka = new Kafka({
      clientId: 'product-events-test',
      brokers: [...product.kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `${product.kafka.namespace}product-events-reader`,
      maxWaitTimeInMs: 200,
    });
    const reader = new ProductEventReader(
      kafka,
      consumer,
      `${product.kafka.namespace}${TOPICS.products}`,
      product.db,
    );
    await consumer.connect();
    await consumer.subscribe({ topic: reader.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        reader.#records.push({
          key: message.key?.toString() ?? '',
          event: parseEvent(message.value) as EventEnvelope<'product.changed.v1'>,
        });
        reader.#readUpTo.set(partition, Number(message.offset));
      },
    });
    return reader;
  }

  /**
   * The data of every product.changed.v1 published so far for one product, oldest first. Waits
   * until the service's outbox holds nothing unpublished (the relay marks a row published only
   * once the broker acknowledged it) and this reader has read the topic up to its end, so the
   * answer is complete: "no event" means none was published, not that none arrived yet.
   */
  async changesOf(productId: string): Promise<EventData<'product.changed.v1'>[]> {
    return (await this.recordsOf(productId)).map((record) => record.event.data);
  }

  /** Like {@link changesOf}, with the whole envelope and the record key. */
  async recordsOf(productId: string): Promise<PublishedProductChange[]> {
    return (await this.published()).filter((record) => record.event.data.productId === productId);
  }

  /** Every record on the topic, once everything the service committed has been read. */
  async published(): Promise<PublishedProductChange[]> {
    await eventually(async () => expect(await this.unpublishedOutboxRows()).toBe(0));
    const ends = await this.endOffsets();
    await eventually(() => {
      for (const [partition, end] of ends)
        expect(this.#readUpTo.get(partition) ?? -1).toBeGreaterThanOrEqual(end - 1);
    });
    return [...this.#records];
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async unpublishedOutboxRows(): Promise<number> {
    const { rows } = await this.db.query<{ count: string | number }>(
      'SELECT count(*) AS count FROM outbox WHERE published_at IS NULL',
    );
    return Number(rows[0]?.count);
  }

  /** The offset after the last record of each partition. */
  private async endOffsets(): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return new Map(offsets.map(({ partition, high }) => [partition, Number(high)]));
    } finally {
      await admin.disconnect();
    }
  }
}

/**
 * Publishes an order event to the `orders` topic of `product`, the way the order service's relay
 * does (keyed by order id), for the product service's order-events consumer to act on.
 */
export async function publishOrderEvent<T extends Extract<EventType, `order.${string}`>>(
  product: ProductUnderTest,
  type: T,
  data: EventData<T>,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'order-events-test',
    brokers: [...product.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const event = createEvent(type, 'order-service', data) as EventEnvelope;
    await producer.send({
      topic: `${product.kafka.namespace}${TOPICS.orders}`,
      acks: -1,
      messages: [{ key: event.subject, value: serializeEvent(event) }],
    });
  } finally {
    await producer.disconnect();
  }
}
