import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEvent, InvalidEventError, type EventEnvelope } from '@mercato/contracts';
import { migrate, type Database } from '@mercato/db';
import { createTestPglite } from '@mercato/db/testing';
import { runWithLogContext } from '@mercato/logger';
import { MESSAGING_MIGRATIONS } from './migrations.js';
import { appendToOutbox } from './outbox.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('appendToOutbox', () => {
  let db: Database;

  beforeAll(async () => {
    db = await createTestPglite();
    await migrate(db, MESSAGING_MIGRATIONS);
  });

  afterAll(async () => {
    await db.close();
  });

  async function rowOf(eventId: string) {
    const { rows } = await db.query(
      'SELECT topic, message_key, event_type, payload, headers, published_at FROM outbox WHERE event_id = $1',
      [eventId],
    );
    return rows[0];
  }

  it('stores the event for its topic, keyed by its subject, with the trace context of the request', async () => {
    const event = createEvent('payment.failed.v1', 'payment-service', {
      orderId: 'order-1',
      paymentId: 'payment-1',
      failureCode: 'card_declined',
      message: 'declined',
    });

    await runWithLogContext({ traceparent: TRACEPARENT, requestId: 'req-9' }, () =>
      db.transaction((tx) => appendToOutbox(tx, event)),
    );

    expect(await rowOf(event.id)).toEqual({
      topic: 'payments',
      message_key: 'order-1',
      event_type: 'payment.failed.v1',
      payload: event,
      headers: { traceparent: TRACEPARENT, 'x-request-id': 'req-9' },
      published_at: null,
    });
  });

  it('takes a topic override and extra headers', async () => {
    const event = createEvent('order.cancelled.v1', 'order-service', {
      orderId: 'order-2',
      reason: 'test',
    });

    await db.transaction((tx) =>
      appendToOutbox(tx, event, { topic: 'test-orders', headers: { 'x-extra': '1' } }),
    );

    expect(await rowOf(event.id)).toEqual(
      expect.objectContaining({ topic: 'test-orders', headers: { 'x-extra': '1' } }),
    );
  });

  it('refuses an event that does not match its schema, so no poison is ever published', async () => {
    const event = {
      ...createEvent('order.cancelled.v1', 'order-service', { orderId: 'order-3', reason: 'test' }),
      data: { orderId: 'order-3' },
    } as unknown as EventEnvelope;

    await expect(db.transaction((tx) => appendToOutbox(tx, event))).rejects.toThrow(
      InvalidEventError,
    );
    expect(await rowOf(event.id)).toBeUndefined();
  });
});
