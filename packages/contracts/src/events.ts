import { z } from 'zod';
import { TOPICS, type Topic } from './topics.js';

/** Money in integer minor units and an ISO 4217 code — the same shape as mercato.common.v1.Money. */
export const moneySchema = z.object({
  amountMinor: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR'),
});
export type Money = z.infer<typeof moneySchema>;

const id = z.string().min(1).max(128);

const orderLineSchema = z.object({
  productId: id,
  quantity: z.number().int().min(1),
  unitPrice: moneySchema,
});

/** Event payloads by event type. The type name carries the version: change = new type. */
export const eventDataSchemas = {
  'order.created.v1': z.object({
    orderId: id,
    customerId: id,
    lines: z.array(orderLineSchema).min(1),
    total: moneySchema,
    paymentToken: z.string().min(1).max(256),
  }),
  'order.paid.v1': z.object({ orderId: id, paymentId: id, total: moneySchema }),
  'order.cancelled.v1': z.object({ orderId: id, reason: z.string().min(1).max(200) }),
  'order.refunded.v1': z.object({ orderId: id, paymentId: id, amount: moneySchema }),
  'payment.succeeded.v1': z.object({
    orderId: id,
    paymentId: id,
    amount: moneySchema,
    providerReference: z.string().min(1),
  }),
  'payment.failed.v1': z.object({
    orderId: id,
    paymentId: id,
    failureCode: z.enum(['card_declined', 'insufficient_funds', 'invalid_token', 'order_invalid']),
    message: z.string().max(500),
  }),
  'payment.refunded.v1': z.object({ orderId: id, paymentId: id, amount: moneySchema }),
  /**
   * A product's price or available stock changed (committed in the same transaction as the
   * change). Carries the values after the change and the product's `version` after it, so a reader
   * that caches the catalog can update what it holds in place, and ignore an event older than what
   * it holds. Events written before versions existed (D44) have none: a reader evicts on those.
   */
  'product.changed.v1': z.object({
    productId: id,
    changed: z.array(z.enum(['price', 'stock'])).min(1),
    price: moneySchema,
    stockAvailable: z.number().int().nonnegative(),
    version: z.number().int().positive().optional(),
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** Which topic each event type is published to. */
export const EVENT_TOPICS: { readonly [T in EventType]: Topic } = {
  'order.created.v1': TOPICS.orders,
  'order.paid.v1': TOPICS.orders,
  'order.cancelled.v1': TOPICS.orders,
  'order.refunded.v1': TOPICS.orders,
  'payment.succeeded.v1': TOPICS.payments,
  'payment.failed.v1': TOPICS.payments,
  'payment.refunded.v1': TOPICS.payments,
  'product.changed.v1': TOPICS.products,
};

/** The fields every event envelope has, whatever its type. */
export const eventEnvelopeBaseSchema = z.object({
  /** Unique event id (UUID); consumers de-duplicate on it. */
  id: z.uuid(),
  /** Producing service, e.g. "order-service". */
  source: z.string().min(1),
  /** RFC 3339 time the event happened. */
  time: z.iso.datetime({ offset: true }),
  /** What the event is about — the order id, or the product id of product events; the Kafka record key. */
  subject: id,
});

/** The envelope of every event (CloudEvents-like): validated as a union over all event types. */
export const eventEnvelopeSchema = z.discriminatedUnion(
  'type',
  Object.entries(eventDataSchemas).map(([type, data]) =>
    eventEnvelopeBaseSchema.extend({ type: z.literal(type), data }),
  ) as unknown as [
    z.ZodObject<{ type: z.ZodLiteral<EventType> }>,
    ...z.ZodObject<{ type: z.ZodLiteral<EventType> }>[],
  ],
);

/** An event of a given type, envelope included. */
export type EventEnvelope<T extends EventType = EventType> = {
  [K in T]: z.infer<typeof eventEnvelopeBaseSchema> & { type: K; data: EventData<K> };
}[T];

/** Thrown when bytes from a topic are not a valid event; carries every validation problem. */
export class InvalidEventError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** The subject (and record key) of an event: its order id, or the product id of product events. */
function subjectOf(data: { orderId?: string; productId?: string }): string {
  const subject = data.orderId ?? data.productId;
  if (subject === undefined) throw new Error('an event needs an orderId or a productId');
  return subject;
}

/** Builds a validated event envelope with a fresh id and the current time. */
export function createEvent<T extends EventType>(
  type: T,
  source: string,
  data: EventData<T>,
  now: Date = new Date(),
): EventEnvelope<T> {
  const event = {
    id: crypto.randomUUID(),
    type,
    source,
    time: now.toISOString(),
    subject: subjectOf(data),
    data: eventDataSchemas[type].parse(data),
  };
  return event as EventEnvelope<T>;
}

/** Parses and validates an event from a Kafka record value; throws InvalidEventError. */
export function parseEvent(value: Buffer | string | null): EventEnvelope {
  if (value === null) throw new InvalidEventError('event has no value (tombstone)', []);
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    throw new InvalidEventError(`event is not JSON: ${(error as Error).message}`, []);
  }
  const result = eventEnvelopeSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidEventError(`invalid event: ${issues.join('; ')}`, issues);
  }
  return result.data as EventEnvelope;
}

/** Serialises an event for a Kafka record value. */
export function serializeEvent(event: EventEnvelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}
