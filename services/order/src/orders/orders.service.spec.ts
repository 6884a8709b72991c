import { describe, expect, it } from '@jest/globals';
import { orderIdFor, requestHash } from './orders.service.js';

describe('orderIdFor', () => {
  it('derives one stable UUID per customer and idempotency key', () => {
    const id = orderIdFor('cus_1', 'key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(orderIdFor('cus_1', 'key-1')).toBe(id);
    expect(orderIdFor('cus_2', 'key-1')).not.toBe(id);
    expect(orderIdFor('cus_1', 'key-2')).not.toBe(id);
  });
});

describe('requestHash', () => {
  const command = {
    customerId: 'c',
    lines: [{ productId: 'p', quantity: 1 }],
    idempotencyKey: 'k',
    paymentToken: 't',
  };

  it('ignores the key itself but sees every other field', () => {
    expect(requestHash({ ...command, idempotencyKey: 'other' })).toBe(requestHash(command));
    expect(requestHash({ ...command, paymentToken: 'u' })).not.toBe(requestHash(command));
    expect(requestHash({ ...command, lines: [{ productId: 'p', quantity: 2 }] })).not.toBe(
      requestHash(command),
    );
  });
});
