import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiOrder, type ApiPayment, type ApiProduct, ShopApi } from '@mercato/shop/testing';
import { queryDatabase, startTestShop, type TestShop } from './support/shop.js';

const ORDERS = 500;
const CONCURRENCY = 16;
// Two of three orders succeed; the rest are declined or lack funds, as a payment provider would say.
const TOKENS = [
  'tok_success',
  'tok_success',
  'tok_declined',
  'tok_success',
  'tok_insufficient_funds',
  'tok_success',
];

/** Runs `work` for 0..count-1 with at most `limit` in flight. */
async function inParallel(count: number, limit: number, work: (n: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

describe('the shop, end to end through the gateway', () => {
  let test: TestShop;
  let customers: ShopApi[];
  let catalogBefore: ApiProduct[];

  beforeAll(async () => {
    test = await startTestShop();
    customers = await Promise.all([
      ShopApi.signIn(test.shop.gatewayUrl, 'demo-alice'),
      ShopApi.signIn(test.shop.gatewayUrl, 'demo-bob'),
      ShopApi.signIn(test.shop.gatewayUrl),
    ]);
    catalogBefore = await customers[0]!.allProducts();
  }, 180_000);
  afterAll(() => test?.shop.stop());

  it(`takes ${ORDERS} orders at a mixed success/decline rate: every one terminal, one payment each, stock conserved`, async () => {
    // Every order is planned against the stock it may take, so none is refused as out of stock.
    const remaining = new Map(catalogBefore.map((product) => [product.id, product.stockAvailable]));
    let cursor = 0;
    const take = (quantity: number): string => {
      for (let tried = 0; tried < catalogBefore.length; tried += 1) {
        const product = catalogBefore[cursor++ % catalogBefore.length]!;
        if (remaining.get(product.id)! >= quantity) {
          remaining.set(product.id, remaining.get(product.id)! - quantity);
          return product.id;
        }
      }
      throw new Error('the catalog has too little stock for the planned orders');
    };
    const plan = Array.from({ length: ORDERS }, (_, n) => [
      { productId: take(1 + (n % 2)), quantity: 1 + (n % 2) },
      ...(n % 3 === 0 ? [{ productId: take(1), quantity: 1 }] : []),
    ]);
    const placed: Array<{ order: ApiOrder; token: string; customer: ShopApi }> = [];
    const rejected: number[] = [];

    const began = Date.now();
    await inParallel(ORDERS, CONCURRENCY, async (n) => {
      const customer = customers[n % customers.length]!;
      const token = TOKENS[n % TOKENS.length]!;
      const lines = plan[n]!;
      const response = await customer.placeOrder(lines, token);
      if (response.status === 201) placed.push({ order: response.body, token, customer });
      else rejected.push(response.status);
    });
    expect(rejected).toEqual([]);
    expect(placed).toHaveLength(ORDERS);

    const final = new Map<string, ApiOrder>();
    await inParallel(placed.length, CONCURRENCY, async (n) => {
      const { order, customer } = placed[n]!;
      final.set(order.id, await customer.waitForTerminal(order.id, 120_000));
    });
    const settledMs = Date.now() - began;
    const statusOf = (token: string) =>
      placed
        .filter((entry) => entry.token === token)
        .map((entry) => final.get(entry.order.id)!.status);
    expect(new Set(statusOf('tok_success'))).toEqual(new Set(['PAID']));
    expect(new Set(statusOf('tok_declined'))).toEqual(new Set(['CANCELLED']));
    expect(new Set(statusOf('tok_insufficient_funds'))).toEqual(new Set(['CANCELLED']));

    // Payments: exactly one per order; SUCCEEDED for exactly the PAID ones.
    const payments: ApiPayment[] = [];
    await inParallel(placed.length, CONCURRENCY, async (n) => {
      const { order, customer } = placed[n]!;
      const payment = await customer.payment(order.id);
      expect(payment.status).toBe(200);
      payments.push(payment.body);
    });
    const paid = [...final.values()].filter((order) => order.status === 'PAID');
    expect(new Set(payments.map((payment) => payment.orderId)).size).toBe(ORDERS);
    expect(
      payments
        .filter((payment) => payment.status === 'SUCCEEDED')
        .map((p) => p.orderId)
        .sort(),
    ).toEqual(paid.map((order) => order.id).sort());
    const charges = await queryDatabase<{ charges: string }>(
      test.databases.payment,
      "SELECT count(*) AS charges FROM simulated_provider_ledger WHERE kind = 'charge' AND outcome = 'succeeded'",
    );
    expect(Number(charges[0]!.charges)).toBe(paid.length);

    // Stock conservation, summed over the catalog: before = now + units sold in PAID orders.
    const sold = new Map<string, number>();
    for (const order of paid)
      for (const line of order.lines)
        sold.set(line.productId, (sold.get(line.productId) ?? 0) + line.quantity);
    const after = new Map((await customers[0]!.allProducts()).map((p) => [p.id, p.stockAvailable]));
    for (const product of catalogBefore)
      expect({
        id: product.id,
        stock: after.get(product.id)! + (sold.get(product.id) ?? 0),
      }).toEqual({
        id: product.id,
        stock: product.stockAvailable,
      });
    const total = (values: Iterable<number>) => [...values].reduce((sum, value) => sum + value, 0);
    expect(total(after.values()) + total(sold.values())).toBe(
      total(catalogBefore.map((product) => product.stockAvailable)),
    );
    console.log(
      `${ORDERS} orders placed and settled in ${(settledMs / 1000).toFixed(1)} s ` +
        `(${paid.length} PAID, ${ORDERS - paid.length} CANCELLED, ${total(sold.values())} units sold)`,
    );
  }, 600_000);

  it('answers a repeated POST with the same Idempotency-Key with the same order, never a second one', async () => {
    const [customer] = customers;
    const product = (await customers[0]!.allProducts()).find(
      (candidate) => candidate.stockAvailable > 0,
    )!;
    const first = await customer!.placeOrder(
      [{ productId: product.id, quantity: 1 }],
      'tok_success',
      'e2e-repeat-key',
    );
    const again = await customer!.placeOrder(
      [{ productId: product.id, quantity: 1 }],
      'tok_success',
      'e2e-repeat-key',
    );
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await customer!.waitForTerminal(first.body.id)).status).toBe('PAID');
  });

  it('answers bad input with a problem+json 400 naming the field', async () => {
    const response = await customers[0]!.placeOrder(
      [{ productId: '', quantity: 0 }],
      'tok_success',
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      status: 400,
      errors: expect.arrayContaining([
        expect.objectContaining({ field: expect.stringContaining('lines') }),
      ]),
    });
  });
});
