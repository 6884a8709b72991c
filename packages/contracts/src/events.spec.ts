import { describe, expect, it } from '@jest/globals';
import { createEvent, InvalidEventError, parseEvent, serializeEvent } from './events.js';
import { ALL_TOPICS, deadLetterTopic, TOPICS } from './topics.js';

const created = () =>
  createEvent('order.created.v1', 'order-service', {
    orderId: 'ord_1',
    customerId: 'cus_1',
    lines: [{ productId: 'p1', quantity: 2, unitPrice: { amountMinor: 1999, currency: 'EUR' } }],
    total: { amountMinor: 3998, currency: 'EUR' },
    paymentToken: 'tok_success',
  });

describe('event envelope', () => {
  it('round-trips through the Kafka value encoding with its envelope fields', () => {
    const event = created();
    const parsed = parseEvent(serializeEvent(event));
    expect(parsed).toEqual(event);
    expect(parsed.subject).toBe('ord_1');
    expect(parsed.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.type).toBe('order.created.v1');
  });

  it('keys a product event by its product id and refuses an unknown change', () => {
    const event = createEvent('product.changed.v1', 'product-service', {
      productId: 'prd_1',
      changed: ['stock'],
      price: { amountMinor: 1999, currency: 'EUR' },
      stockAvailable: 7,
    });
    expect(parseEvent(serializeEvent(event))).toMatchObject({
      subject: 'prd_1',
      type: 'product.changed.v1',
      data: { productId: 'prd_1', changed: ['stock'], stockAvailable: 7 },
    });
    expect(() =>
      parseEvent(JSON.stringify({ ...event, data: { ...event.data, changed: ['colour'] } })),
    ).toThrow(/changed/);
  });

  it('gives each event a new id', () => {
    expect(created().id).not.toBe(created().id);
  });

  it('rejects bytes that are not JSON', () => {
    expect(() => parseEvent(Buffer.from('{nope'))).toThrow(InvalidEventError);
  });

  it('rejects a tombstone', () => {
    expect(() => parseEvent(null)).toThrow(/tombstone/);
  });

  it('rejects an unknown event type', () => {
    const event = { ...created(), type: 'order.exploded.v1' };
    expect(() => parseEvent(JSON.stringify(event))).toThrow(InvalidEventError);
  });

  it('names every invalid field of the payload', () => {
    const event = created();
    const broken = {
      ...event,
      data: { ...event.data, total: { amountMinor: -1, currency: 'euro' } },
    };
    try {
      parseEvent(JSON.stringify(broken));
      throw new Error('expected parseEvent to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      const issues = (error as InvalidEventError).issues.join('\n');
      expect(issues).toContain('data.total.amountMinor');
      expect(issues).toContain('data.total.currency');
    }
  });

  it('refuses to create an event whose payload is invalid', () => {
    expect(() =>
      createEvent('order.cancelled.v1', 'order-service', { orderId: 'o', reason: '' }),
    ).toThrow();
  });
});

describe('topics', () => {
  it('derives dead-letter topics from topic names', () => {
    expect(deadLetterTopic(TOPICS.orders)).toBe('orders.dlq');
    expect(ALL_TOPICS).toEqual([
      'orders',
      'orders.dlq',
      'payments',
      'payments.dlq',
      'products',
      'products.dlq',
    ]);
  });
});
