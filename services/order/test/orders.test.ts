import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status, type ServiceError } from '@grpc/grpc-js';
import { parseEvent } from '@mercato/contracts';
import { OrderStatus, type CreateOrderRequest } from '@mercato/contracts/order';
import { fieldViolationsOf } from '@mercato/grpc';
import { readSample } from '@mercato/metrics';
import {
  addProduct,
  BACKENDS,
  countRows,
  startOrderStack,
  type OrderStack,
} from './support/stack.js';

async function failure(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: ServiceError) => error,
  );
}

const request = (overrides: Partial<CreateOrderRequest> = {}): CreateOrderRequest => ({
  customerId: 'cus_alice',
  lines: [{ productId: 'prd_lamp', quantity: 2 }],
  idempotencyKey: `key-${Math.random().toString(36).slice(2)}`,
  paymentToken: 'tok_success',
  ...overrides,
});

describe.each(BACKENDS)('order service on %s', (backend) => {
  let stack: OrderStack;

  beforeAll(async () => {
    stack = await startOrderStack(backend);
    await addProduct(stack.productDb, 'prd_lamp', 1000, 4500);
    await addProduct(stack.productDb, 'prd_mug', 1000, 1250);
    await addProduct(stack.productDb, 'prd_scarce', 10, 999);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('prices the order from the product service and announces it in the outbox', async () => {
    const productCalls = async (method: string) =>
      readSample(
        await (await fetch(`${stack.product.httpAddress}/metrics`)).text(),
        'grpc_server_handled_total',
        { grpc_method: method },
      );
    const [reservesBefore, lookupsBefore] = [
      await productCalls('ReserveStock'),
      await productCalls('GetProducts'),
    ];
    const { order, products } = await stack.orders.createOrder(
      request({
        lines: [
          { productId: 'prd_lamp', quantity: 2 },
          { productId: 'prd_mug', quantity: 3 },
        ],
      }),
    );
    expect(order).toMatchObject({
      customerId: 'cus_alice',
      status: OrderStatus.ORDER_STATUS_PENDING_PAYMENT,
      total: { amountMinor: 2 * 4500 + 3 * 1250, currency: 'EUR' },
    });
    expect(
      order!.lines.map((line) => [
        line.productId,
        line.unitPrice?.amountMinor,
        line.lineTotal?.amountMinor,
      ]),
    ).toEqual([
      ['prd_lamp', 4500, 9000],
      ['prd_mug', 1250, 3750],
    ]);
    const { rows } = await stack.orderDb.query<{
      payload: unknown;
      topic: string;
      message_key: string;
    }>('SELECT payload, topic, message_key FROM outbox WHERE message_key = $1', [order!.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.topic).toBe('orders');
    const event = parseEvent(JSON.stringify(rows[0]!.payload));
    expect(event).toMatchObject({
      type: 'order.created.v1',
      subject: order!.id,
      source: 'order-service',
    });
    expect(event.data).toMatchObject({
      total: { amountMinor: 12_750, currency: 'EUR' },
      paymentToken: 'tok_success',
    });
    // Reserved and priced in one call: the reservation answers the products.
    expect(await productCalls('ReserveStock')).toBe(reservesBefore + 1);
    expect(await productCalls('GetProducts')).toBe(lookupsBefore);
    // The products as the reservation left them, as the product service itself now shows them.
    const { products: current } = await stack.products.getProducts({
      ids: ['prd_lamp', 'prd_mug'],
    });
    expect(products).toEqual(current);
  });

  it('refuses products in two currencies in one order, and gives their stock back', async () => {
    await addProduct(stack.productDb, 'prd_dollar', 10, 800);
    await stack.productDb.query("UPDATE products SET currency = 'USD' WHERE id = 'prd_dollar'");
    const before = [await reservedOf(stack, 'prd_lamp'), await reservedOf(stack, 'prd_dollar')];

    const mixed = await failure(
      stack.orders.createOrder(
        request({
          lines: [
            { productId: 'prd_lamp', quantity: 1 },
            { productId: 'prd_dollar', quantity: 1 },
          ],
        }),
      ),
    );

    expect(mixed.code).toBe(status.FAILED_PRECONDITION);
    expect(mixed.details).toBe('products in one order must share a currency');
    expect([await reservedOf(stack, 'prd_lamp'), await reservedOf(stack, 'prd_dollar')]).toEqual(
      before,
    );
  });

  it('creates exactly 10 orders out of 100 concurrent requests for 10 units in stock', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, index) =>
        stack.orders.createOrder(
          request({
            customerId: `cus_${index}`,
            lines: [{ productId: 'prd_scarce', quantity: 1 }],
          }),
        ),
      ),
    );
    const created = results.filter((result) => result.status === 'fulfilled');
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as ServiceError] : [],
    );
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(90);
    expect(new Set(refused.map((error) => status[error.code]))).toEqual(
      new Set(['FAILED_PRECONDITION']),
    );
    expect(fieldViolationsOf(refused[0]!)[0]).toMatchObject({ field: 'lines[0].quantity' });

    const { rows } = await stack.productDb.query<{ on_hand: number; reserved: number }>(
      "SELECT on_hand, reserved FROM stock WHERE product_id = 'prd_scarce'",
    );
    expect(rows[0]).toEqual({ on_hand: 10, reserved: 10 });
    expect(await countRows(stack.orderDb, 'order_lines', "product_id = 'prd_scarce'")).toBe(10);
  });

  it('answers 20 concurrent retries of one idempotency key with one and the same order', async () => {
    const retried = request({
      idempotencyKey: 'checkout-7f3a',
      lines: [{ productId: 'prd_mug', quantity: 1 }],
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => stack.orders.createOrder(retried)),
    );
    expect(new Set(answers.map((answer) => JSON.stringify(answer.order))).size).toBe(1);
    // Answered from the stored order, a retry has no reservation's products to pass on.
    expect((await stack.orders.createOrder(retried)).products).toEqual([]);
    expect(
      await countRows(stack.orderDb, 'orders', 'idempotency_key = $1', ['checkout-7f3a']),
    ).toBe(1);
    expect(
      await countRows(stack.orderDb, 'outbox', 'message_key = $1', [answers[0]!.order!.id]),
    ).toBe(1);
    const { rows } = await stack.productDb.query<{ count: string | number }>(
      'SELECT count(*) AS count FROM reservations WHERE order_id = $1',
      [answers[0]!.order!.id],
    );
    expect(Number(rows[0]!.count)).toBe(1);

    const changed = await failure(
      stack.orders.createOrder({ ...retried, lines: [{ productId: 'prd_mug', quantity: 2 }] }),
    );
    expect(changed.code).toBe(status.ALREADY_EXISTS);
    expect(changed.details).toContain('checkout-7f3a');
    expect(
      await countRows(stack.orderDb, 'orders', 'idempotency_key = $1', ['checkout-7f3a']),
    ).toBe(1);
  });

  it('commits the order and its event together or not at all', async () => {
    // Break the outbox for real: the order row is inserted, then the event insert fails.
    await stack.orderDb.query('ALTER TABLE outbox RENAME TO outbox_unavailable');
    const attempt = request({ idempotencyKey: 'atomic-1' });
    try {
      const error = await failure(stack.orders.createOrder(attempt));
      expect(error.code).toBe(status.INTERNAL);
      expect(error.details).toBe('internal error');
    } finally {
      await stack.orderDb.query('ALTER TABLE outbox_unavailable RENAME TO outbox');
    }
    expect(await countRows(stack.orderDb, 'orders', 'idempotency_key = $1', ['atomic-1'])).toBe(0);
    expect(
      await countRows(stack.orderDb, 'order_lines', 'order_id NOT IN (SELECT id FROM orders)'),
    ).toBe(0);
    expect(
      await countRows(stack.orderDb, 'outbox', 'message_key NOT IN (SELECT id::text FROM orders)'),
    ).toBe(0);
    // The retry of the same request succeeds and reuses the stock reserved by the failed attempt.
    const { order } = await stack.orders.createOrder(attempt);
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING_PAYMENT);
    expect(await countRows(stack.orderDb, 'outbox', 'message_key = $1', [order!.id])).toBe(1);
  });

  it('shows a customer their own orders only, newest first, page by page', async () => {
    const created = [];
    for (let index = 0; index < 3; index += 1) {
      created.push((await stack.orders.createOrder(request({ customerId: 'cus_bob' }))).order!);
    }
    const first = await stack.orders.listOrders({
      customerId: 'cus_bob',
      pageSize: 2,
      pageToken: '',
    });
    const second = await stack.orders.listOrders({
      customerId: 'cus_bob',
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect([...first.orders, ...second.orders].map((order) => order.id)).toEqual(
      created.reverse().map((order) => order.id),
    );
    expect(second.nextPageToken).toBe('');

    const mine = await stack.orders.getOrder({ orderId: created[0]!.id, customerId: 'cus_bob' });
    expect(mine.order?.id).toBe(created[0]!.id);
    const theirs = await failure(
      stack.orders.getOrder({ orderId: created[0]!.id, customerId: 'cus_mallory' }),
    );
    expect(theirs.code).toBe(status.NOT_FOUND);
  });

  it('cancels a pending order once, returns its stock and announces it', async () => {
    const { order } = await stack.orders.createOrder(
      request({ lines: [{ productId: 'prd_lamp', quantity: 5 }] }),
    );
    const reservedBefore = await reservedOf(stack, 'prd_lamp');
    const cancelled = await stack.orders.cancelOrder({
      orderId: order!.id,
      customerId: 'cus_alice',
      reason: 'changed_mind',
    });
    expect(cancelled.order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: 'changed_mind',
    });
    expect(await reservedOf(stack, 'prd_lamp')).toBe(reservedBefore - 5);
    const again = await stack.orders.cancelOrder({
      orderId: order!.id,
      customerId: 'cus_alice',
      reason: 'again',
    });
    expect(again.order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: 'changed_mind',
    });
    expect(
      await countRows(
        stack.orderDb,
        'outbox',
        "message_key = $1 AND event_type = 'order.cancelled.v1'",
        [order!.id],
      ),
    ).toBe(1);
    const foreign = await failure(
      stack.orders.cancelOrder({ orderId: order!.id, customerId: 'cus_mallory', reason: '' }),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
  });

  it('rejects bad input with the right status and keeps serving', async () => {
    const invalid = await failure(
      stack.orders.createOrder(
        request({ customerId: '', lines: [{ productId: 'prd_lamp', quantity: -1 }] }),
      ),
    );
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(invalid).map((violation) => violation.field)).toEqual([
      'customer_id',
      'lines[0].quantity',
    ]);

    const empty = await failure(stack.orders.createOrder(request({ lines: [] })));
    expect(fieldViolationsOf(empty)).toEqual([
      { field: 'lines', description: 'at least one line' },
    ]);

    const unknown = await failure(
      stack.orders.createOrder(request({ lines: [{ productId: 'prd_nope', quantity: 1 }] })),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toContain('prd_nope');

    const huge = await failure(
      stack.orders.createOrder(request({ paymentToken: 'x'.repeat(10 * 1024 * 1024) })),
    );
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);

    const control = await failure(
      stack.orders.createOrder(request({ idempotencyKey: 'key\u0000', paymentToken: 'tok\u001b' })),
    );
    expect(control.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(control)).toEqual([
      { field: 'idempotency_key', description: 'must not contain control characters' },
      { field: 'payment_token', description: 'must not contain control characters' },
    ]);

    const badId = await failure(stack.orders.getOrder({ orderId: 'not-a-uuid', customerId: '' }));
    expect(fieldViolationsOf(badId).map((violation) => violation.field)).toEqual(['order_id']);

    const { order } = await stack.orders.createOrder(request());
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING_PAYMENT);
  });
});

describe('order service without its product service', () => {
  let stack: OrderStack;

  beforeAll(async () => {
    stack = await startOrderStack('pglite', { PRODUCT_CALL_TIMEOUT: '500ms' });
    await addProduct(stack.productDb, 'prd_lamp', 10, 4500);
    await stack.product.close();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers UNAVAILABLE instead of hanging, and still serves reads', async () => {
    const error = await failure(stack.orders.createOrder(request()));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toMatch(/product service unavailable/);
    const listed = await stack.orders.listOrders({
      customerId: 'cus_alice',
      pageSize: 0,
      pageToken: '',
    });
    expect(listed.orders).toEqual([]);
  });
});

async function reservedOf(stack: OrderStack, productId: string): Promise<number> {
  const { rows } = await stack.productDb.query<{ reserved: number }>(
    'SELECT reserved FROM stock WHERE product_id = $1',
    [productId],
  );
  return Number(rows[0]!.reserved);
}
