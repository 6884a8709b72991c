import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { createEvent, TOPICS, type EventData, type EventType } from '@mercato/contracts';
import { OrderStatus } from '@mercato/contracts/order';
import {
  PaymentServiceService,
  PaymentStatus,
  type PaymentServiceServer,
} from '@mercato/contracts/payment';
import { eventually } from '@mercato/harness';
import { createLogger } from '@mercato/logger';
import {
  createMessagingClient,
  type EventPublisher,
  type MessagingClient,
} from '@mercato/messaging';
import { readSample } from '@mercato/metrics';
import { addProduct, countRows, startOrderStack, type OrderStack } from './support/stack.js';

// A refund reaches the order service twice: as the payment service's answer to the refund call
// of a cancellation, and as `payment.refunded.v1`. Either can come first. These tests put a
// payment service double on loopback in front of the real order service and its real consumer,
// so the order of the two is the test's to choose, not the scheduler's.
describe('order service refunding a paid order', () => {
  let stack: OrderStack;
  let payments: Server;
  let messaging: MessagingClient;
  let publisher: EventPublisher;
  /** What the payment double does, after the refund and before it answers the call. */
  let beforeAnswering: (orderId: string) => Promise<void>;
  const refundCalls: string[] = [];

  const publish = async <T extends EventType>(type: T, data: EventData<T>) => {
    const event = createEvent(type, 'payment-service', data);
    await publisher.publish([
      {
        topic: `${stack.kafka.namespace}${TOPICS.payments}`,
        key: event.subject,
        value: Buffer.from(JSON.stringify(event)),
      },
    ]);
    return event.id;
  };

  /** Waits until the order service's consumer has handled (and recorded) the event. */
  const handled = (eventId: string) =>
    eventually(
      async () => {
        const { rows } = await stack.orderDb.query(
          'SELECT 1 FROM processed_events WHERE event_id = $1',
          [eventId],
        );
        expect(rows).toHaveLength(1);
      },
      { timeoutMs: 20_000 },
    );

  const statusOf = async (orderId: string) =>
    (await stack.orders.getOrder({ orderId, customerId: '' })).order!;

  const refundedEvent = (orderId: string) => ({
    orderId,
    paymentId: `pay-${orderId}`,
    amount: { amountMinor: 4500, currency: 'EUR' },
  });

  /** A new order of the customer's, taken to PAID by the payment service's event. */
  const paidOrder = async () => {
    const { order } = await stack.orders.createOrder({
      customerId: 'cus_alice',
      lines: [{ productId: 'prd_lamp', quantity: 1 }],
      idempotencyKey: randomUUID(),
      paymentToken: 'tok_success',
    });
    await publish('payment.succeeded.v1', {
      orderId: order!.id,
      paymentId: `pay-${order!.id}`,
      amount: { amountMinor: 4500, currency: 'EUR' },
      providerReference: 'ch_test',
    });
    await eventually(
      async () => {
        expect((await statusOf(order!.id)).status).toBe(OrderStatus.ORDER_STATUS_PAID);
      },
      { timeoutMs: 20_000 },
    );
    return order!;
  };

  const transitions = async () => {
    const text = await (await fetch(`${stack.order.httpAddress}/metrics`)).text();
    const refunds = (cause: string) =>
      readSample(text, 'mercato_order_transitions_total', { to: 'REFUNDED', cause });
    return { customerCancelled: refunds('customer_cancelled'), refunded: refunds('refunded') };
  };

  /** One order.refunded.v1 in the outbox, and the REFUNDED move counted once, as a cancellation. */
  const expectOneCustomerCancellation = async (
    orderId: string,
    before: Awaited<ReturnType<typeof transitions>>,
  ) => {
    expect(
      await countRows(
        stack.orderDb,
        'outbox',
        "message_key = $1 AND event_type = 'order.refunded.v1'",
        [orderId],
      ),
    ).toBe(1);
    const after = await transitions();
    expect({
      customerCancelled: after.customerCancelled - before.customerCancelled,
      refunded: after.refunded - before.refunded,
    }).toEqual({ customerCancelled: 1, refunded: 0 });
  };

  beforeAll(async () => {
    payments = new Server();
    const implementation: PaymentServiceServer = {
      getPayment: (_call, callback) => callback({ code: status.UNIMPLEMENTED }),
      refundPayment: (call, callback) => {
        const { orderId } = call.request;
        refundCalls.push(orderId);
        beforeAnswering(orderId).then(
          () =>
            callback(null, {
              payment: {
                id: `pay-${orderId}`,
                orderId,
                customerId: 'cus_alice',
                status: PaymentStatus.PAYMENT_STATUS_REFUNDED,
                amount: { amountMinor: 4500, currency: 'EUR' },
                providerReference: 'ch_test',
                failureCode: '',
                createdAt: new Date().toISOString(),
                updatedAt: new Date().toISOString(),
              },
            }),
          (error: Error) => callback({ code: status.INTERNAL, details: error.message }),
        );
      },
    };
    payments.addService(PaymentServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      payments.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    stack = await startOrderStack('pglite', { PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${port}` });
    await addProduct(stack.productDb, 'prd_lamp', 100, 4500);
    messaging = createMessagingClient({
      brokers: stack.kafka.brokers,
      clientId: 'refunds-test',
      logger: createLogger({ service: 'refunds-test', level: 'error' }),
    });
    publisher = messaging.createPublisher();
    await publisher.connect();
  });

  beforeEach(() => {
    beforeAnswering = async () => undefined;
  });

  afterAll(async () => {
    await messaging?.close();
    await stack?.stop();
    payments?.forceShutdown();
  });

  it("keeps the customer's reason and counts a customer cancellation when the refund's event comes first", async () => {
    const order = await paidOrder();
    const before = await transitions();
    // The payment service announces the refund and the order service's consumer moves the order
    // to REFUNDED before the answer to the refund call reaches the cancellation.
    beforeAnswering = async (orderId) => {
      await publish('payment.refunded.v1', refundedEvent(orderId));
      await eventually(
        async () => {
          expect((await statusOf(orderId)).status).toBe(OrderStatus.ORDER_STATUS_REFUNDED);
        },
        { timeoutMs: 20_000 },
      );
    };

    const { order: cancelled } = await stack.orders.cancelOrder({
      orderId: order.id,
      customerId: 'cus_alice',
      reason: 'changed_mind',
    });

    expect(refundCalls).toContain(order.id);
    expect(cancelled).toMatchObject({
      status: OrderStatus.ORDER_STATUS_REFUNDED,
      statusReason: 'changed_mind',
    });
    expect(await statusOf(order.id)).toMatchObject({ statusReason: 'changed_mind' });
    await expectOneCustomerCancellation(order.id, before);
  });

  it("keeps the customer's reason and counts one customer cancellation when the answer comes first", async () => {
    const order = await paidOrder();
    const before = await transitions();

    const { order: cancelled } = await stack.orders.cancelOrder({
      orderId: order.id,
      customerId: 'cus_alice',
      reason: 'found_it_cheaper',
    });
    expect(cancelled).toMatchObject({
      status: OrderStatus.ORDER_STATUS_REFUNDED,
      statusReason: 'found_it_cheaper',
    });
    // The refund's event arrives afterwards and changes nothing.
    await handled(await publish('payment.refunded.v1', refundedEvent(order.id)));
    expect(await statusOf(order.id)).toMatchObject({
      status: OrderStatus.ORDER_STATUS_REFUNDED,
      statusReason: 'found_it_cheaper',
    });
    await expectOneCustomerCancellation(order.id, before);
  });

  it('records a refund made at the payment service directly as a refund, not a cancellation', async () => {
    const order = await paidOrder();
    const before = await transitions();

    await publish('payment.refunded.v1', refundedEvent(order.id));

    await eventually(
      async () => {
        expect(await statusOf(order.id)).toMatchObject({
          status: OrderStatus.ORDER_STATUS_REFUNDED,
          statusReason: 'refunded',
        });
      },
      { timeoutMs: 20_000 },
    );
    expect(refundCalls).not.toContain(order.id);
    const after = await transitions();
    expect({
      customerCancelled: after.customerCancelled - before.customerCancelled,
      refunded: after.refunded - before.refunded,
    }).toEqual({ customerCancelled: 0, refunded: 1 });
  });
});
