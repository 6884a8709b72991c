import { TOPICS } from './topics.js';

/** A service of the checkout saga, by the name its metrics carry. */
export type CheckoutService = 'order' | 'payment' | 'product';

/** One step of a checkout, and the histogram on a service's `/metrics` that times it. */
export interface CheckoutStage {
  /** Short name, in saga order (as the bench and the dashboard print it). */
  readonly stage: string;
  /** What the step is. */
  readonly description: string;
  /** Whose `/metrics` has it. */
  readonly service: CheckoutService;
  /** The histogram's name (without `_bucket`, `_sum`, `_count`). */
  readonly metric: string;
  /** Labels a series must carry, exactly. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The topic a series' `topic` label must end with (topics carry the deployment's
   * `KAFKA_NAMESPACE` in front), for histograms labelled by topic rather than by event type.
   */
  readonly topic?: string;
}

/**
 * The stages of one checkout from the order's commit to the stock being sold, each a histogram of
 * its own duration (not of the time since the order was placed), so the slowest step stands out.
 * Their sum is the journey; `mercato_checkout_duration_seconds` on the order service times the
 * customer's part of it (order created → PAID) as one figure.
 */
export const CHECKOUT_STAGES: readonly CheckoutStage[] = [
  {
    stage: 'relay order.created',
    description: 'order committed → its event acknowledged by Kafka (order outbox relay)',
    service: 'order',
    metric: 'outbox_relay_delay_seconds',
    labels: { event_type: 'order.created.v1' },
  },
  {
    stage: 'deliver to payment',
    description: 'event sent → payment starts handling it',
    service: 'payment',
    metric: 'kafka_consumer_delivery_seconds',
    labels: { event_type: 'order.created.v1' },
  },
  {
    stage: 'charge',
    description: 'payment handles order.created: charge, payment row, outbox row, one commit',
    service: 'payment',
    metric: 'kafka_consumer_processing_seconds',
    labels: { outcome: 'processed' },
    topic: TOPICS.orders,
  },
  {
    stage: 'relay payment.succeeded',
    description: 'payment committed → its event acknowledged by Kafka (payment outbox relay)',
    service: 'payment',
    metric: 'outbox_relay_delay_seconds',
    labels: { event_type: 'payment.succeeded.v1' },
  },
  {
    stage: 'deliver to order',
    description: 'event sent → order starts handling it',
    service: 'order',
    metric: 'kafka_consumer_delivery_seconds',
    labels: { event_type: 'payment.succeeded.v1' },
  },
  {
    stage: 'mark PAID',
    description: 'order handles payment.succeeded: PAID and order.paid in one commit',
    service: 'order',
    metric: 'kafka_consumer_processing_seconds',
    labels: { outcome: 'processed' },
    topic: TOPICS.payments,
  },
  {
    stage: 'relay order.paid',
    description: 'PAID committed → order.paid acknowledged by Kafka (order outbox relay)',
    service: 'order',
    metric: 'outbox_relay_delay_seconds',
    labels: { event_type: 'order.paid.v1' },
  },
  {
    stage: 'deliver to product',
    description: 'event sent → product starts handling it',
    service: 'product',
    metric: 'kafka_consumer_delivery_seconds',
    labels: { event_type: 'order.paid.v1' },
  },
  {
    stage: 'commit stock',
    description: 'product handles order.paid: the reservation becomes a sale',
    service: 'product',
    metric: 'kafka_consumer_processing_seconds',
    labels: { outcome: 'processed' },
    topic: TOPICS.orders,
  },
];

/** Whether a series with these labels belongs to `stage`. */
export function isSeriesOfStage(
  stage: CheckoutStage,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (stage.topic !== undefined && !labels.topic?.endsWith(stage.topic)) return false;
  return Object.entries(stage.labels).every(([name, value]) => labels[name] === value);
}
