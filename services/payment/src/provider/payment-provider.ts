import type { Money } from '@mercato/contracts';

/** Why a charge was refused; the same codes travel in payment.failed.v1. */
export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'invalid_token';

/** The outcome of a charge the provider answered. */
export type ChargeResult =
  | { outcome: 'succeeded'; reference: string }
  | { outcome: 'declined'; code: DeclineCode; message: string };

/** The provider did not answer in time; the same idempotency key may be retried safely. */
export class ProviderTimeoutError extends Error {
  constructor(message = 'payment provider timed out') {
    super(message);
    this.name = 'ProviderTimeoutError';
  }
}

/**
 * A card payment provider. Every call carries an idempotency key: repeating a call with the same
 * key returns the first answer and never moves money twice — the property the saga relies on when
 * it retries after a crash or a redelivered event.
 */
export interface PaymentProvider {
  charge(request: { idempotencyKey: string; token: string; amount: Money }): Promise<ChargeResult>;
  refund(request: {
    idempotencyKey: string;
    chargeReference: string;
    amount: Money;
  }): Promise<{ reference: string }>;
}
