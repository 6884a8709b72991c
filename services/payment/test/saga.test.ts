import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CHECKOUT_STAGES,
  CONSUMER_GROUPS,
  deadLetterTopic,
  isSeriesOfStage,
  TOPICS,
} from '@mercato/contracts';
import { histogramDelta, readHistogram, readSample } from '@mercato/metrics';
import { OrderServiceClient, OrderStatus, type Order } from '@mercato/contracts/order';
import { createClient, fieldViolationsOf } from '@mercato/grpc';
import { status, type ServiceError } from '@grpc/grpc-js';
import { PaymentStatus } from '@mercato/contracts/payment';
import { TEST_CARD_TOKENS } from '@mercato/contracts/demo';
import { lagOf, produceRaw, readTopic, rewindGroups } from './support/kafka.js';
import {
  addProduct,
  eventually,
  startShop,
  startShopOrder,
  stockOf,
  type Shop,
} from './support/shop.js';

const TERMINAL = new Set([
  OrderStatus.ORDER_STATUS_PAID,
  OrderStatus.ORDER_STATUS_CANCELLED,
  OrderStatus.ORDER_STATUS_REFUNDED,
]);
let keys = 0;

describe('checkout saga with a real broker', () => {
  let shop: Shop;

  const place = async (
    paymentToken: string,
    quantity = 1,
    productId = 'prd_lamp',
    customerId = 'cus_saga',
  ) =>
    (
      await shop.orders.createOrder({
        customerId,
        lines: [{ productId, quantity }],
        idempotencyKey: `saga-${(keys += 1)}`,
        paymentToken,
      })
    ).order!;

  const settled = (orderId: string) =>
    eventually(`order ${orderId} to settle`, async () => {
      const { order } = await shop.orders.getOrder({ orderId, customerId: '' });
      return order && TERMINAL.has(order.status) ? order : undefined;
    });

  const ledgerRows = async (orderId: string, kind: 'charge' | 'refund') => {
    const { rows } = await shop.db.payment.query<{ attempts: number }>(
      'SELECT attempts FROM simulated_provider_ledger WHERE idempotency_key = $1',
      [`${kind}:${orderId}`],
    );
    return rows;
  };

  beforeAll(async () => {
    shop = await startShop();
    await addProduct(shop.db.product, 'prd_lamp', 100, 4500);
    await addProduct(shop.db.product, 'prd_mug', 100, 1200);
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('takes a good card to PAID and sells the stock', async () => {
    const order = await place(TEST_CARD_TOKENS.success, 2);
    const paid = await settled(order.id);
    expect(paid.status).toBe(OrderStatus.ORDER_STATUS_PAID);
    const { payment } = await shop.payments.getPayment({ orderId: order.id });
    expect(payment).toMatchObject({
      status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
      amount: { amountMinor: 9000, currency: 'EUR' },
    });
    await eventually('stock to be committed', async () => {
      const stock = await stockOf(shop.db.product, 'prd_lamp');
      return stock.onHand === 98 && stock.reserved === 0 ? stock : undefined;
    });
    expect(await ledgerRows(order.id, 'charge')).toHaveLength(1);
  });

  it.each([
    [TEST_CARD_TOKENS.declined, 'card_declined'],
    [TEST_CARD_TOKENS.insufficientFunds, 'insufficient_funds'],
  ])('cancels an order paid with %s and puts its stock back', async (token, reason) => {
    const before = await stockOf(shop.db.product, 'prd_mug');
    const order = await place(token, 3, 'prd_mug');
    const cancelled = await settled(order.id);
    expect(cancelled).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: reason,
    });
    const { payment } = await shop.payments.getPayment({ orderId: order.id });
    expect(payment).toMatchObject({
      status: PaymentStatus.PAYMENT_STATUS_FAILED,
      failureCode: reason,
    });
    await eventually('stock to be released', async () => {
      const stock = await stockOf(shop.db.product, 'prd_mug');
      return stock.reserved === before.reserved && stock.onHand === before.onHand
        ? stock
        : undefined;
    });
  });

  it("records every stage of an order's checkout on the services' /metrics", async () => {
    const services = { order: shop.order, payment: shop.payment, product: shop.product };
    const readings = async () => {
      // Each service's page once, then every stage from its service's page.
      const pages = Object.fromEntries(
        await Promise.all(
          Object.entries(services).map(async ([name, service]) => [
            name,
            await (await fetch(`${service.httpAddress}/metrics`)).text(),
          ]),
        ),
      ) as Record<keyof typeof services, string>;
      return CHECKOUT_STAGES.map((stage) =>
        readHistogram(pages[stage.service], stage.metric, (labels) =>
          isSeriesOfStage(stage, labels),
        ),
      );
    };
    const before = await readings();
    const order = await place(TEST_CARD_TOKENS.success);
    expect((await settled(order.id)).status).toBe(OrderStatus.ORDER_STATUS_PAID);
    const recorded = async () =>
      (await readings()).map((after, index) => {
        const delta = histogramDelta(after, before[index]!);
        return { stage: CHECKOUT_STAGES[index]!.stage, count: delta.count, sum: delta.sum };
      });
    // The last stages (order.paid relayed, the stock sold) follow PAID by a moment.
    await eventually('every stage to be recorded', async () =>
      (await recorded()).every((stage) => stage.count >= 1) ? true : undefined,
    ).catch(() => undefined);
    const stages = await recorded();
    expect(stages.map(({ stage, count }) => ({ stage, count }))).toEqual(
      CHECKOUT_STAGES.map(({ stage }) => ({ stage, count: 1 })),
    );
    for (const { sum } of stages) expect(sum).toBeGreaterThanOrEqual(0);
  });

  it('retries a provider timeout with the same idempotency key and charges once', async () => {
    const order = await place(TEST_CARD_TOKENS.timeoutThenSuccess);
    expect((await settled(order.id)).status).toBe(OrderStatus.ORDER_STATUS_PAID);
    const charges = await ledgerRows(order.id, 'charge');
    expect(charges).toHaveLength(1);
    expect(charges[0]!.attempts).toBe(2);
  });

  it('refunds a paid order once, ends REFUNDED and restocks', async () => {
    const order = await place(TEST_CARD_TOKENS.success, 4);
    await settled(order.id);
    await eventually('sale to be committed', async () =>
      (await stockOf(shop.db.product, 'prd_lamp')).reserved === 0 ? true : undefined,
    );
    const sold = await stockOf(shop.db.product, 'prd_lamp');

    const { order: refunded } = await shop.orders.cancelOrder({
      orderId: order.id,
      customerId: 'cus_saga',
      reason: 'changed_mind',
    });
    expect(refunded).toMatchObject({
      status: OrderStatus.ORDER_STATUS_REFUNDED,
      statusReason: 'changed_mind',
    });
    const { order: again } = await shop.orders.cancelOrder({
      orderId: order.id,
      customerId: 'cus_saga',
      reason: 'twice',
    });
    expect(again?.status).toBe(OrderStatus.ORDER_STATUS_REFUNDED);
    expect((await shop.payments.getPayment({ orderId: order.id })).payment?.status).toBe(
      PaymentStatus.PAYMENT_STATUS_REFUNDED,
    );
    expect(await ledgerRows(order.id, 'refund')).toHaveLength(1);
    await eventually('refunded stock to return', async () =>
      (await stockOf(shop.db.product, 'prd_lamp')).onHand === sold.onHand + 4 ? true : undefined,
    );
  });

  it('refuses malformed payment requests with INVALID_ARGUMENT naming the field', async () => {
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => {
          throw new Error('expected the call to fail');
        },
        (error: ServiceError) => error,
      );
    const badId = await refusal(shop.payments.getPayment({ orderId: 'not-an-order' }));
    expect(badId.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(badId)).toEqual([
      { field: 'order_id', description: 'must be an order id' },
    ]);
    const order = await place(TEST_CARD_TOKENS.success);
    await settled(order.id);
    const badReason = await refusal(
      shop.payments.refundPayment({ orderId: order.id, reason: 'changed\u0000mind' }),
    );
    expect(badReason.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(badReason)).toEqual([
      { field: 'reason', description: 'must not contain control characters' },
    ]);
    expect(await ledgerRows(order.id, 'refund')).toHaveLength(0);
  });

  it('counts orders created, their outcomes and the checkout time on the order service /metrics', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${shop.order.httpAddress}/metrics`)).text();
      const value = (name: string, labels: Record<string, string> = {}) =>
        readSample(text, name, labels);
      return {
        created: value('mercato_orders_created_total'),
        paid: value('mercato_order_transitions_total', { to: 'PAID', cause: 'payment_succeeded' }),
        declined: value('mercato_order_transitions_total', {
          to: 'CANCELLED',
          cause: 'payment_failed',
        }),
        refunded: value('mercato_order_transitions_total', {
          to: 'REFUNDED',
          cause: 'customer_cancelled',
        }),
        checkouts: value('mercato_checkout_duration_seconds_count', { outcome: 'paid' }),
      };
    };
    const before = await scrape();
    const good = await place(TEST_CARD_TOKENS.success);
    const bad = await place(TEST_CARD_TOKENS.declined);
    await settled(good.id);
    await settled(bad.id);
    await shop.orders.cancelOrder({ orderId: good.id, customerId: 'cus_saga', reason: 'metrics' });
    // A replay of the same request is the same order, not a new one.
    await shop.orders.createOrder({
      customerId: 'cus_saga',
      lines: [{ productId: 'prd_lamp', quantity: 1 }],
      idempotencyKey: `saga-${keys}`,
      paymentToken: TEST_CARD_TOKENS.declined,
    });
    const expected = { created: 2, paid: 1, declined: 1, refunded: 1, checkouts: 1 };
    const counted = async () => {
      const after = await scrape();
      return {
        created: after.created - before.created,
        paid: after.paid - before.paid,
        declined: after.declined - before.declined,
        refunded: after.refunded - before.refunded,
        checkouts: after.checkouts - before.checkouts,
      };
    };
    // The saga's last step is counted just after its transaction commits, a moment after the
    // order reads PAID.
    await eventually('the saga to be counted', async () =>
      JSON.stringify(await counted()) === JSON.stringify(expected) ? true : undefined,
    ).catch(() => undefined);
    expect(await counted()).toEqual(expected);
  });

  it('parks poison messages on the dead-letter topic and keeps consuming', async () => {
    const ordersTopic = `${shop.env.namespace}${TOPICS.orders}`;
    await produceRaw(shop.env.brokers, ordersTopic, [
      { key: 'poison-1', value: '{not json' },
      { key: 'poison-2', value: JSON.stringify({ id: 'x', type: 'order.created.v1', data: {} }) },
    ]);
    const order = await place(TEST_CARD_TOKENS.success);
    expect((await settled(order.id)).status).toBe(OrderStatus.ORDER_STATUS_PAID);

    // Both consumers of `orders` (payment and product) park both records.
    const parked = await readTopic(
      shop.env.brokers,
      `${shop.env.namespace}${deadLetterTopic(TOPICS.orders)}`,
      4,
    );
    expect(parked.map((record) => record.key).sort()).toEqual([
      'poison-1',
      'poison-1',
      'poison-2',
      'poison-2',
    ]);
    const notJson = parked.find((record) => record.key === 'poison-1')!;
    expect(notJson.value).toBe('{not json');
    expect(notJson.headers['x-error-message']).toMatch(/not JSON/);
    expect(notJson.headers['x-original-topic']).toBe(ordersTopic);
  });

  it('changes nothing when every event is delivered again from offset 0', async () => {
    const snapshot = async () => ({
      orders: (
        await shop.db.order.query('SELECT id, status, status_reason FROM orders ORDER BY id')
      ).rows,
      payments: (
        await shop.db.payment.query('SELECT order_id, status FROM payments ORDER BY order_id')
      ).rows,
      ledger: (
        await shop.db.payment.query(
          'SELECT idempotency_key, attempts FROM simulated_provider_ledger ORDER BY 1',
        )
      ).rows,
      stock: (
        await shop.db.product.query('SELECT product_id, on_hand, reserved FROM stock ORDER BY 1')
      ).rows,
      outbox: (await shop.db.order.query('SELECT count(*) AS n FROM outbox')).rows,
    });
    const groups = [
      {
        groupId: `${shop.env.namespace}${CONSUMER_GROUPS.payment}`,
        topic: `${shop.env.namespace}${TOPICS.orders}`,
      },
      {
        groupId: `${shop.env.namespace}${CONSUMER_GROUPS.product}`,
        topic: `${shop.env.namespace}${TOPICS.orders}`,
      },
      {
        groupId: `${shop.env.namespace}${CONSUMER_GROUPS.order}`,
        topic: `${shop.env.namespace}${TOPICS.payments}`,
      },
    ];
    await eventually('consumers to catch up', async () =>
      (await lagOf(shop.env.brokers, groups)) === 0 ? true : undefined,
    );
    const before = await snapshot();
    expect(before.orders.length).toBeGreaterThan(4);

    await shop.stop();
    await rewindGroups(shop.env.brokers, groups);
    expect(await lagOf(shop.env.brokers, groups)).toBeGreaterThan(0);
    shop = await startShop(shop.env);
    await eventually(
      'replay to finish',
      async () => ((await lagOf(shop.env.brokers, groups)) === 0 ? true : undefined),
      60_000,
    );

    expect(await snapshot()).toEqual(before);
  });

  it('keeps every order’s events in order with two order-service instances relaying', async () => {
    const second = await startShopOrder({ ...shop.env, ports: { ...shop.env.ports, order: 0 } });
    const viaSecond = createClient(OrderServiceClient, {
      addresses: [second.grpcAddress],
      defaultDeadlineMs: 20_000,
    });
    try {
      const placed: Order[] = [];
      for (let index = 0; index < 20; index += 1) {
        placed.push(
          await place(
            index % 3 === 0 ? TEST_CARD_TOKENS.declined : TEST_CARD_TOKENS.success,
            1,
            'prd_mug',
            `cus_two_${index}`,
          ),
        );
      }
      // Cancel some right away through either instance, racing the payment.
      await Promise.all(
        placed
          .filter((_, index) => index % 4 === 1)
          .map((order) =>
            viaSecond
              .cancelOrder({ orderId: order.id, customerId: order.customerId, reason: 'raced' })
              .catch(() => undefined),
          ),
      );
      await Promise.all(placed.map((order) => settled(order.id)));

      const { rows } = await shop.db.order.query<{ message_key: string; event_type: string }>(
        `SELECT message_key, event_type FROM outbox WHERE message_key = ANY($1::text[]) ORDER BY id`,
        [placed.map((order) => order.id)],
      );
      await eventually('outbox to drain', async () => {
        const pending = await shop.db.order.query<{ n: number }>(
          'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL',
        );
        return Number(pending.rows[0]!.n) === 0 ? true : undefined;
      });
      const published = await readTopic(
        shop.env.brokers,
        `${shop.env.namespace}${TOPICS.orders}`,
        rows.length,
      );
      const byKey = (entries: { key: string; type: string }[]) =>
        entries.reduce<Record<string, string[]>>(
          (grouped, entry) => ({
            ...grouped,
            [entry.key]: [...(grouped[entry.key] ?? []), entry.type],
          }),
          {},
        );
      const expected = byKey(rows.map((row) => ({ key: row.message_key, type: row.event_type })));
      const seen = byKey(
        published
          .filter((record) => record.key in expected)
          .map((record) => ({
            key: record.key,
            type: (JSON.parse(record.value) as { type: string }).type,
          })),
      );
      expect(seen).toEqual(expected);
      expect(Object.values(expected).every((types) => types[0] === 'order.created.v1')).toBe(true);
    } finally {
      viaSecond.close();
      await second.close();
    }
  });
});
