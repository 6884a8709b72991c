import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { ReservationStatus } from '@mercato/contracts/product';
import { fieldViolationsOf } from '@mercato/grpc';
import { eventually } from '@mercato/harness';
import { MAX_PRICE_MINOR } from '../src/catalog/catalog.grpc.controller.js';
import { productIdForSku, SEED_CATALOG } from '../src/catalog/seed-catalog.js';
import { ProductEventReader, publishOrderEvent } from './support/product-events.js';
import {
  addProduct,
  BACKENDS,
  failure,
  startProductUnderTest,
  stockOf,
  type ProductUnderTest,
} from './support/product-under-test.js';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

/** The data of a stock change of a product priced at `priceMinor` EUR, leaving `available` units. */
const stockChange = (productId: string, available: number, priceMinor = 1000) => ({
  productId,
  changed: ['stock'],
  price: eur(priceMinor),
  stockAvailable: available,
});

/**
 * A product's changes as its events must carry them: with the version each made, one above the one
 * before, from a new product's version 1.
 */
const inVersions = <T extends object>(changes: T[]) =>
  changes.map((change, index) => ({ ...change, version: index + 2 }));

// Every change to a product's price or available stock puts one product.changed.v1 with the values
// after the change on the real broker; everything else puts none. Each test has products of its
// own, so the events of one product are exactly the ones its test caused.
describe.each(BACKENDS)('catalog change events on %s', (backend) => {
  let product: ProductUnderTest;
  let events: ProductEventReader;

  beforeAll(async () => {
    product = await startProductUnderTest(backend, {
      RESERVATION_SWEEP_INTERVAL: '100ms',
      OUTBOX_POLL_INTERVAL: '50ms',
    });
    events = await ProductEventReader.start(product);
  });

  afterAll(async () => {
    await events?.stop();
    await product?.stop();
  });

  it('seeds the catalog without publishing anything: nobody can have seen a new product', async () => {
    const seeded = new Set(SEED_CATALOG.map((item) => productIdForSku(item.sku)));
    const { totalSize } = await product.client.listProducts({
      pageSize: 1,
      pageToken: '',
      category: '',
      query: '',
    });
    expect(totalSize).toBeGreaterThanOrEqual(SEED_CATALOG.length);
    const published = await events.published();
    expect(published.filter((record) => seeded.has(record.key))).toEqual([]);
  });

  describe('stock', () => {
    it('publishes the availability a reservation leaves of each product, keyed by product id, once even when the call is repeated', async () => {
      await addProduct(product.db, 'prd_ev_lamp', 10, 4500);
      await addProduct(product.db, 'prd_ev_mug', 5, 1200);
      const lines = [
        { productId: 'prd_ev_lamp', quantity: 2 },
        { productId: 'prd_ev_mug', quantity: 1 },
      ];
      const first = await product.client.reserveStock({ orderId: 'ev-reserve', lines });
      const again = await product.client.reserveStock({ orderId: 'ev-reserve', lines });

      // Both answers carry each product once, priced, with the stock the reservation left.
      for (const answer of [first, again]) {
        expect(
          answer.products.map(({ id, price, stockAvailable }) => ({ id, price, stockAvailable })),
        ).toEqual([
          { id: 'prd_ev_lamp', price: { amountMinor: 4500, currency: 'EUR' }, stockAvailable: 8 },
          { id: 'prd_ev_mug', price: { amountMinor: 1200, currency: 'EUR' }, stockAvailable: 4 },
        ]);
      }

      const [lampRecord, ...moreLamp] = await events.recordsOf('prd_ev_lamp');
      expect(moreLamp).toEqual([]);
      expect(lampRecord).toMatchObject({
        key: 'prd_ev_lamp',
        event: {
          type: 'product.changed.v1',
          source: 'product-service',
          subject: 'prd_ev_lamp',
          data: { ...stockChange('prd_ev_lamp', 8, 4500), version: 2 },
        },
      });
      expect(await events.changesOf('prd_ev_mug')).toEqual(
        inVersions([stockChange('prd_ev_mug', 4, 1200)]),
      );
      const { product: lamp } = await product.client.getProduct({ id: 'prd_ev_lamp' });
      expect(lamp?.stockAvailable).toBe(8);
      // The version the event carries is the one readers see, and the repeat made no new one.
      expect(first.products.map(({ version }) => version)).toEqual([2, 2]);
      expect(again.products.map(({ version }) => version)).toEqual([2, 2]);
      expect(lamp?.version).toBe(2);
    });

    it('publishes nothing for a reservation refused for short stock or for other lines under a taken order id', async () => {
      await addProduct(product.db, 'prd_ev_plenty', 5);
      await addProduct(product.db, 'prd_ev_scarce', 1);
      const short = await failure(
        product.client.reserveStock({
          orderId: 'ev-short',
          lines: [
            { productId: 'prd_ev_plenty', quantity: 1 },
            { productId: 'prd_ev_scarce', quantity: 2 },
          ],
        }),
      );
      expect(short.code).toBe(status.FAILED_PRECONDITION);
      expect(await events.changesOf('prd_ev_plenty')).toEqual([]);
      expect(await events.changesOf('prd_ev_scarce')).toEqual([]);

      await product.client.reserveStock({
        orderId: 'ev-taken',
        lines: [{ productId: 'prd_ev_scarce', quantity: 1 }],
      });
      const taken = await failure(
        product.client.reserveStock({
          orderId: 'ev-taken',
          lines: [{ productId: 'prd_ev_plenty', quantity: 1 }],
        }),
      );
      expect(taken.code).toBe(status.ALREADY_EXISTS);
      expect(await events.changesOf('prd_ev_plenty')).toEqual([]);
      expect(await events.changesOf('prd_ev_scarce')).toEqual(
        inVersions([stockChange('prd_ev_scarce', 0)]),
      );
    });

    it('publishes the stock a release puts back, and nothing when the release is repeated', async () => {
      await addProduct(product.db, 'prd_ev_released', 6);
      await product.client.reserveStock({
        orderId: 'ev-release',
        lines: [{ productId: 'prd_ev_released', quantity: 4 }],
      });
      await product.client.releaseStock({ orderId: 'ev-release' });
      await product.client.releaseStock({ orderId: 'ev-release' });

      expect(await events.changesOf('prd_ev_released')).toEqual(
        inVersions([stockChange('prd_ev_released', 2), stockChange('prd_ev_released', 6)]),
      );
    });

    it('publishes nothing when a reservation is committed: the units sold were no longer available', async () => {
      await addProduct(product.db, 'prd_ev_sold', 6);
      await product.client.reserveStock({
        orderId: 'ev-commit',
        lines: [{ productId: 'prd_ev_sold', quantity: 2 }],
      });
      await product.client.commitStock({ orderId: 'ev-commit' });
      await product.client.commitStock({ orderId: 'ev-commit' });

      expect(await events.changesOf('prd_ev_sold')).toEqual(
        inVersions([stockChange('prd_ev_sold', 4)]),
      );
      const { product: sold } = await product.client.getProduct({ id: 'prd_ev_sold' });
      expect(sold?.stockAvailable).toBe(4);
    });

    it('publishes the stock the sweeper returns from expired reservations, once per product per sweep', async () => {
      await addProduct(product.db, 'prd_ev_expiring', 5);
      for (const [orderId, quantity] of [
        ['ev-expire-1', 1],
        ['ev-expire-2', 2],
      ] as const) {
        await product.client.reserveStock({
          orderId,
          lines: [{ productId: 'prd_ev_expiring', quantity }],
        });
      }
      // Both reservations' time runs out at once, so one sweep returns them together.
      await backdateReservations(['ev-expire-1', 'ev-expire-2']);

      const changes = await eventually(async () => {
        const published = await events.changesOf('prd_ev_expiring');
        expect(published).toHaveLength(3);
        return published;
      });
      expect(changes).toEqual(
        inVersions([
          stockChange('prd_ev_expiring', 4),
          stockChange('prd_ev_expiring', 2),
          stockChange('prd_ev_expiring', 5),
        ]),
      );
    });

    it('publishes the stock taken again when an expired reservation is sold after all', async () => {
      await addProduct(product.db, 'prd_ev_late', 5);
      await product.client.reserveStock({
        orderId: 'ev-late',
        lines: [{ productId: 'prd_ev_late', quantity: 3 }],
      });
      await backdateReservations(['ev-late']);
      await eventually(async () =>
        expect(await events.changesOf('prd_ev_late')).toEqual(
          inVersions([stockChange('prd_ev_late', 2), stockChange('prd_ev_late', 5)]),
        ),
      );

      const sold = await product.client.commitStock({ orderId: 'ev-late' });
      expect(sold.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_COMMITTED);
      expect(await events.changesOf('prd_ev_late')).toEqual(
        inVersions([
          stockChange('prd_ev_late', 2),
          stockChange('prd_ev_late', 5),
          stockChange('prd_ev_late', 2),
        ]),
      );
    });

    it('publishes what order events do to stock: a cancellation returns it, a payment sells it unseen, a refund restocks it', async () => {
      await addProduct(product.db, 'prd_ev_saga', 8);
      for (const [orderId, quantity] of [
        ['ev-cancelled', 3],
        ['ev-paid', 2],
      ] as const) {
        await product.client.reserveStock({
          orderId,
          lines: [{ productId: 'prd_ev_saga', quantity }],
        });
      }

      await publishOrderEvent(product, 'order.cancelled.v1', {
        orderId: 'ev-cancelled',
        reason: 'payment declined',
      });
      await eventually(async () => expect(await events.changesOf('prd_ev_saga')).toHaveLength(3));

      await publishOrderEvent(product, 'order.paid.v1', {
        orderId: 'ev-paid',
        paymentId: 'pay-ev-paid',
        total: eur(2000),
      });
      await eventually(async () =>
        expect(await stockOf(product.db, 'prd_ev_saga')).toEqual({ onHand: 6, reserved: 0 }),
      );
      expect(await events.changesOf('prd_ev_saga')).toHaveLength(3);

      await publishOrderEvent(product, 'order.refunded.v1', {
        orderId: 'ev-paid',
        paymentId: 'pay-ev-paid',
        amount: eur(2000),
      });
      await eventually(async () => expect(await events.changesOf('prd_ev_saga')).toHaveLength(4));
      expect(await events.changesOf('prd_ev_saga')).toEqual(
        inVersions([
          stockChange('prd_ev_saga', 5),
          stockChange('prd_ev_saga', 3),
          stockChange('prd_ev_saga', 6),
          stockChange('prd_ev_saga', 8),
        ]),
      );
    });
  });

  describe('SetProductPrice', () => {
    it('sets the price GetProduct returns afterwards and publishes it once; the same price again changes nothing', async () => {
      await addProduct(product.db, 'prd_ev_priced', 4, 1000);
      const set = await product.client.setProductPrice({
        productId: 'prd_ev_priced',
        price: eur(1250),
      });
      expect(set.product).toMatchObject({ id: 'prd_ev_priced', price: eur(1250) });
      const again = await product.client.setProductPrice({
        productId: 'prd_ev_priced',
        price: eur(1250),
      });
      expect(again.product).toMatchObject({ price: eur(1250), stockAvailable: 4 });

      const { product: priced } = await product.client.getProduct({ id: 'prd_ev_priced' });
      expect(priced?.price).toEqual(eur(1250));
      expect(await events.changesOf('prd_ev_priced')).toEqual(
        inVersions([
          { productId: 'prd_ev_priced', changed: ['price'], price: eur(1250), stockAvailable: 4 },
        ]),
      );
    });

    it('sets a price of 0 and back, and later stock events carry the price in force', async () => {
      await addProduct(product.db, 'prd_ev_free', 3, 900);
      await product.client.setProductPrice({ productId: 'prd_ev_free', price: eur(0) });
      await product.client.reserveStock({
        orderId: 'ev-free',
        lines: [{ productId: 'prd_ev_free', quantity: 1 }],
      });
      await product.client.setProductPrice({ productId: 'prd_ev_free', price: eur(900) });

      expect(await events.changesOf('prd_ev_free')).toEqual(
        inVersions([
          { productId: 'prd_ev_free', changed: ['price'], price: eur(0), stockAvailable: 3 },
          stockChange('prd_ev_free', 2, 0),
          { productId: 'prd_ev_free', changed: ['price'], price: eur(900), stockAvailable: 2 },
        ]),
      );
    });

    it('answers NOT_FOUND for an unknown product', async () => {
      const error = await failure(
        product.client.setProductPrice({ productId: 'prd_ev_nope', price: eur(100) }),
      );
      expect(error.code).toBe(status.NOT_FOUND);
      expect(error.details).toContain('prd_ev_nope');
    });

    it('refuses another currency than the product’s with FAILED_PRECONDITION and keeps the price', async () => {
      await addProduct(product.db, 'prd_ev_euro', 2, 700);
      const error = await failure(
        product.client.setProductPrice({
          productId: 'prd_ev_euro',
          price: { amountMinor: 700, currency: 'USD' },
        }),
      );
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(fieldViolationsOf(error)).toEqual([
        { field: 'price.currency', description: "must be EUR, the product's currency" },
      ]);
      const { product: euro } = await product.client.getProduct({ id: 'prd_ev_euro' });
      expect(euro?.price).toEqual(eur(700));
      expect(await events.changesOf('prd_ev_euro')).toEqual([]);
    });

    it('rejects malformed requests with INVALID_ARGUMENT naming each field, and publishes nothing', async () => {
      await addProduct(product.db, 'prd_ev_strict', 2, 500);
      const cases = [
        [{ productId: '', price: eur(100) }, ['product_id']],
        [{ productId: 'prd_ev_strict\u0000', price: eur(100) }, ['product_id']],
        [{ productId: 'prd_ev_strict', price: eur(-1) }, ['price.amount_minor']],
        [{ productId: 'prd_ev_strict', price: eur(MAX_PRICE_MINOR + 1) }, ['price.amount_minor']],
        [
          { productId: 'prd_ev_strict', price: { amountMinor: 100, currency: 'eur' } },
          ['price.currency'],
        ],
        [
          { productId: 'prd_ev_strict', price: { amountMinor: 100, currency: 'EURO' } },
          ['price.currency'],
        ],
        [{ productId: 'prd_ev_strict', price: undefined }, ['price']],
      ] as const;
      for (const [request, fields] of cases) {
        const error = await failure(product.client.setProductPrice(request));
        expect({ request, code: error.code }).toEqual({ request, code: status.INVALID_ARGUMENT });
        expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual(fields);
      }
      const highest = await product.client.setProductPrice({
        productId: 'prd_ev_strict',
        price: eur(MAX_PRICE_MINOR),
      });
      expect(highest.product?.price).toEqual(eur(MAX_PRICE_MINOR));
      expect(await events.changesOf('prd_ev_strict')).toEqual(
        inVersions([
          {
            productId: 'prd_ev_strict',
            changed: ['price'],
            price: eur(MAX_PRICE_MINOR),
            stockAvailable: 2,
          },
        ]),
      );
    });
  });

  /** Lets the reservations' time run out now, in one statement (test set-up, like addProduct). */
  async function backdateReservations(orderIds: readonly string[]): Promise<void> {
    await product.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = ANY($1::text[])`,
      [orderIds],
    );
  }
});
