/**
 * Kafka topics of Mercato. Every producer and consumer takes names from here. Each topic carries
 * one or more versioned event types (see events.ts); records are keyed by the event's subject —
 * the order id on the saga's topics, the product id on `products` — so one subject's events stay
 * in order within a partition.
 */
export const TOPICS = {
  /** Order lifecycle: order.created.v1, order.paid.v1, order.cancelled.v1, order.refunded.v1. */
  orders: 'orders',
  /** Payment outcomes: payment.succeeded.v1, payment.failed.v1, payment.refunded.v1. */
  payments: 'payments',
  /** Catalog changes: product.changed.v1 (a product's price or available stock changed). */
  products: 'products',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The dead-letter topic of a topic: where a message that cannot be processed is parked. */
export function deadLetterTopic(topic: Topic): `${Topic}.dlq` {
  return `${topic}.dlq`;
}

/** Every topic the system needs, dead-letter topics included (for provisioning). */
export const ALL_TOPICS: readonly string[] = Object.values(TOPICS).flatMap((topic) => [
  topic,
  deadLetterTopic(topic),
]);

/** Consumer group ids, one per consuming service. */
export const CONSUMER_GROUPS = {
  product: 'product-service',
  order: 'order-service',
  payment: 'payment-service',
} as const;
