import { describe, expect, it } from '@jest/globals';
import { newIdempotencyKey } from './idempotency-key.js';
import {
  cancelAction,
  isSettled,
  nextPollDelay,
  POLL_INTERVAL_MS,
  reasonText,
} from './order-status.js';

describe('order status', () => {
  it('waits only while the payment is under way', () => {
    expect(isSettled('PENDING_PAYMENT')).toBe(false);
    for (const status of ['PAID', 'CANCELLED', 'REFUNDED'] as const)
      expect(isSettled(status)).toBe(true);
  });

  it('offers cancelling while the API allows it', () => {
    expect(cancelAction('PENDING_PAYMENT')?.label).toBe('Cancel order');
    expect(cancelAction('PAID')?.label).toBe('Cancel and refund');
    expect(cancelAction('CANCELLED')).toBeUndefined();
    expect(cancelAction('REFUNDED')).toBeUndefined();
  });

  it('explains why an order ended, in words', () => {
    expect(reasonText('CANCELLED', 'card_declined')).toBe(
      'The payment was declined by the card issuer.',
    );
    expect(reasonText('CANCELLED', 'insufficient_funds')).toBe('The card has insufficient funds.');
    expect(reasonText('CANCELLED', 'something_new')).toBe('Reason: something new.');
    expect(reasonText('CANCELLED', '')).toBeUndefined();
    expect(reasonText('PAID', 'card_declined')).toBeUndefined();
  });

  it('polls steadily, backing off after failures up to 10 s', () => {
    expect(nextPollDelay(0)).toBe(POLL_INTERVAL_MS);
    expect(nextPollDelay(1)).toBe(2 * POLL_INTERVAL_MS);
    expect(nextPollDelay(3)).toBe(8 * POLL_INTERVAL_MS);
    expect(nextPollDelay(20)).toBe(10_000);
  });

  it('makes a new idempotency key for every checkout', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^checkout-[0-9a-f]{32}$/);
  });
});
