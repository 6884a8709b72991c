import { Inject, Injectable } from '@nestjs/common';
import { counter, histogram } from '@mercato/metrics';
import { METRICS } from '@mercato/service-kit';
import type { Counter, Histogram, Registry } from 'prom-client';
import { OrderState } from './order-state.js';

/** Why an order left PENDING_PAYMENT or PAID; a closed set, so it can be a metric label. */
export type TransitionCause =
  'payment_succeeded' | 'payment_failed' | 'customer_cancelled' | 'refunded';

// Checkout takes from ten milliseconds (a quiet shop) to minutes (a broker outage); a failed saga
// shows up in the tail.
const CHECKOUT_BUCKETS_SECONDS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/**
 * The checkout saga in business terms, next to the RED metrics: orders created, where they ended,
 * and how long a customer waited between placing an order and its payment outcome. Counted after
 * the transaction that made the change committed, so a rollback never counts.
 */
@Injectable()
export class OrderMetrics {
  readonly #created: Counter;
  readonly #transitions: Counter<'to' | 'cause'>;
  readonly #checkout: Histogram<'outcome'>;

  constructor(@Inject(METRICS) registry: Registry) {
    this.#created = counter(
      registry,
      'mercato_orders_created_total',
      'Orders created (a replay of an idempotent request is not counted)',
    );
    this.#transitions = counter(
      registry,
      'mercato_order_transitions_total',
      'Orders moved to a later state, by target state and cause',
      ['to', 'cause'],
    );
    this.#checkout = histogram(
      registry,
      'mercato_checkout_duration_seconds',
      'From order creation to the payment outcome (PAID, or CANCELLED by a failed payment)',
      ['outcome'],
      CHECKOUT_BUCKETS_SECONDS,
    );
  }

  /** A new order was stored. */
  created(): void {
    this.#created.inc();
  }

  /** An order moved to `to`; for payment outcomes the checkout duration since `createdAt` is observed. */
  moved(to: OrderState, cause: TransitionCause, createdAt: Date, now = new Date()): void {
    this.#transitions.inc({ to, cause });
    if (cause === 'payment_succeeded' || cause === 'payment_failed') {
      this.#checkout.observe(
        { outcome: to === OrderState.PAID ? 'paid' : 'cancelled' },
        Math.max(0, (now.getTime() - createdAt.getTime()) / 1000),
      );
    }
  }
}
