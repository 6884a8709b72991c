import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ReservationStatus } from '@mercato/contracts/product';
import { fieldViolationsOf } from '@mercato/grpc';
import { SEED_CATALOG } from '../src/catalog/seed-catalog.js';
import {
  addProduct,
  BACKENDS,
  failure,
  startProductUnderTest,
  stockOf,
  type ProductUnderTest,
} from './support/product-under-test.js';

describe.each(BACKENDS)('product service on %s', (backend) => {
  let product: ProductUnderTest;

  beforeAll(async () => {
    product = await startProductUnderTest(backend);
    await addProduct(product.db, 'prd_test_lamp', 10, 4500);
    await addProduct(product.db, 'prd_test_mug', 5, 1200);
  });

  afterAll(async () => {
    await product?.stop();
  });

  describe('catalog', () => {
    it('serves the seeded catalog page by page until every product was listed', async () => {
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await product.client.listProducts({
          pageSize: 7,
          pageToken,
          category: '',
          query: '',
        });
        expect(page.products.length).toBeLessThanOrEqual(7);
        seen.push(...page.products.map((item) => item.sku));
        pageToken = page.nextPageToken;
        expect(page.totalSize).toBe(SEED_CATALOG.length + 2);
      } while (pageToken);
      expect(new Set(seen).size).toBe(SEED_CATALOG.length + 2);
    });

    it('filters by category and reports every category with its size', async () => {
      const { categories } = await product.client.listCategories({});
      const kitchen = categories.find((category) => category.name === 'kitchen');
      expect(kitchen?.productCount).toBe(
        SEED_CATALOG.filter((item) => item.category === 'kitchen').length,
      );
      const page = await product.client.listProducts({
        pageSize: 100,
        pageToken: '',
        category: 'kitchen',
        query: '',
      });
      expect(page.products).toHaveLength(kitchen!.productCount);
      expect(page.products.every((item) => item.category === 'kitchen')).toBe(true);
    });

    it('searches name, description and sku case-insensitively', async () => {
      const page = await product.client.listProducts({
        pageSize: 20,
        pageToken: '',
        category: '',
        query: 'CAST-IRON',
      });
      expect(page.products.map((item) => item.name).sort()).toEqual([
        'Cast-Iron Skillet 26 cm',
        'Cast-Iron Teapot',
      ]);
      const wildcard = await product.client.listProducts({
        pageSize: 20,
        pageToken: '',
        category: '',
        query: '%',
      });
      expect(wildcard.products).toEqual([]);
    });

    it('returns one product with its price and availability', async () => {
      const { product: lamp } = await product.client.getProduct({ id: 'prd_test_lamp' });
      expect(lamp).toMatchObject({
        id: 'prd_test_lamp',
        price: { amountMinor: 4500, currency: 'EUR' },
        stockAvailable: 10,
      });
    });

    it('returns many products in the order asked for', async () => {
      const { products } = await product.client.getProducts({
        ids: ['prd_test_mug', 'prd_test_lamp'],
      });
      expect(products.map((item) => item.id)).toEqual(['prd_test_mug', 'prd_test_lamp']);
    });

    it('answers NOT_FOUND naming unknown ids', async () => {
      const single = await failure(product.client.getProduct({ id: 'prd_nope' }));
      expect(single.code).toBe(status.NOT_FOUND);
      const many = await failure(
        product.client.getProducts({ ids: ['prd_test_mug', 'prd_nope', 'prd_gone'] }),
      );
      expect(many.code).toBe(status.NOT_FOUND);
      expect(many.details).toContain('prd_nope, prd_gone');
    });

    it('rejects a bad page size and a forged page token with INVALID_ARGUMENT and field details', async () => {
      const size = await failure(
        product.client.listProducts({ pageSize: 1000, pageToken: '', category: '', query: '' }),
      );
      expect(size.code).toBe(status.INVALID_ARGUMENT);
      expect(fieldViolationsOf(size).map((violation) => violation.field)).toEqual(['page_size']);
      const token = await failure(
        product.client.listProducts({ pageSize: 5, pageToken: 'forged', category: '', query: '' }),
      );
      expect(fieldViolationsOf(token).map((violation) => violation.field)).toEqual(['page_token']);
    });

    it('refuses control characters (PostgreSQL cannot store NUL) with INVALID_ARGUMENT, not INTERNAL', async () => {
      const search = await failure(
        product.client.listProducts({
          pageSize: 5,
          pageToken: '',
          category: '',
          query: 'la\u0000mp',
        }),
      );
      expect(search.code).toBe(status.INVALID_ARGUMENT);
      expect(fieldViolationsOf(search)).toEqual([
        { field: 'query', description: 'must not contain control characters' },
      ]);
      const reservation = await failure(
        product.client.reserveStock({
          orderId: 'order\u0000x',
          lines: [{ productId: 'prd_test_mug\n', quantity: 1 }],
        }),
      );
      expect(fieldViolationsOf(reservation).map((violation) => violation.field)).toEqual([
        'order_id',
        'lines[0].product_id',
      ]);
    });
  });

  describe('stock reservations', () => {
    it('reserves all lines, commits them as a sale, and repeats idempotently', async () => {
      const lines = [
        { productId: 'prd_test_lamp', quantity: 2 },
        { productId: 'prd_test_mug', quantity: 1 },
      ];
      const first = await product.client.reserveStock({ orderId: 'order-a', lines });
      expect(first.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_RESERVED);
      const again = await product.client.reserveStock({
        orderId: 'order-a',
        lines: [...lines].reverse(),
      });
      expect(again.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_RESERVED);
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual({ onHand: 10, reserved: 2 });

      await product.client.commitStock({ orderId: 'order-a' });
      const twice = await product.client.commitStock({ orderId: 'order-a' });
      expect(twice.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_COMMITTED);
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual({ onHand: 8, reserved: 0 });
      expect(await stockOf(product.db, 'prd_test_mug')).toEqual({ onHand: 4, reserved: 0 });
      const { product: lamp } = await product.client.getProduct({ id: 'prd_test_lamp' });
      expect(lamp?.stockAvailable).toBe(8);
    });

    it('releases a reservation once, and refuses to release a sale', async () => {
      await product.client.reserveStock({
        orderId: 'order-b',
        lines: [{ productId: 'prd_test_lamp', quantity: 3 }],
      });
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual({ onHand: 8, reserved: 3 });
      await product.client.releaseStock({ orderId: 'order-b' });
      const again = await product.client.releaseStock({ orderId: 'order-b' });
      expect(again.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_RELEASED);
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual({ onHand: 8, reserved: 0 });

      const sold = await failure(product.client.releaseStock({ orderId: 'order-a' }));
      expect(sold.code).toBe(status.FAILED_PRECONDITION);
      const released = await failure(product.client.commitStock({ orderId: 'order-b' }));
      expect(released.code).toBe(status.FAILED_PRECONDITION);
    });

    it('reserves nothing when one line is short, and names the short line', async () => {
      const error = await failure(
        product.client.reserveStock({
          orderId: 'order-c',
          lines: [
            { productId: 'prd_test_lamp', quantity: 1 },
            { productId: 'prd_test_mug', quantity: 50 },
          ],
        }),
      );
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(fieldViolationsOf(error)).toEqual([
        {
          field: 'lines[1].quantity',
          description: 'product prd_test_mug: requested 50, available 4',
        },
      ]);
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual({ onHand: 8, reserved: 0 });
      // The failed attempt left no reservation behind: the same order id can try again.
      const retry = await product.client.reserveStock({
        orderId: 'order-c',
        lines: [{ productId: 'prd_test_mug', quantity: 1 }],
      });
      expect(retry.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_RESERVED);
      await product.client.releaseStock({ orderId: 'order-c' });
    });

    it('refuses different lines under an order id that already holds a reservation', async () => {
      await product.client.reserveStock({
        orderId: 'order-d',
        lines: [{ productId: 'prd_test_mug', quantity: 1 }],
      });
      const error = await failure(
        product.client.reserveStock({
          orderId: 'order-d',
          lines: [{ productId: 'prd_test_mug', quantity: 2 }],
        }),
      );
      expect(error.code).toBe(status.ALREADY_EXISTS);
      await product.client.releaseStock({ orderId: 'order-d' });
    });

    it('never oversells under 40 concurrent reservations for 10 units', async () => {
      await addProduct(product.db, 'prd_test_rare', 10);
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, index) =>
          product.client.reserveStock({
            orderId: `rush-${index}`,
            lines: [{ productId: 'prd_test_rare', quantity: 1 }],
          }),
        ),
      );
      const rejected = results.filter((result) => result.status === 'rejected');
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
      expect(
        rejected.every(
          (result) => (result.reason as ServiceError).code === status.FAILED_PRECONDITION,
        ),
      ).toBe(true);
      expect(await stockOf(product.db, 'prd_test_rare')).toEqual({ onHand: 10, reserved: 10 });
    });

    it('commits 30 concurrent sales of the same two products, each once, none blocking another', async () => {
      await addProduct(product.db, 'prd_test_pair_a', 100);
      await addProduct(product.db, 'prd_test_pair_b', 100);
      const orders = Array.from({ length: 30 }, (_, index) => `pair-${index}`);
      for (const [index, orderId] of orders.entries()) {
        const lines = [
          { productId: 'prd_test_pair_a', quantity: 1 },
          { productId: 'prd_test_pair_b', quantity: 2 },
        ];
        // Half list the products the other way round: the locks are still taken in one order.
        await product.client.reserveStock({
          orderId,
          lines: index % 2 === 0 ? lines : [...lines].reverse(),
        });
      }

      const committed = await Promise.all(
        [...orders, ...orders].map((orderId) => product.client.commitStock({ orderId })),
      );

      expect(
        committed.every(
          ({ reservation }) =>
            reservation?.status === ReservationStatus.RESERVATION_STATUS_COMMITTED,
        ),
      ).toBe(true);
      expect(await stockOf(product.db, 'prd_test_pair_a')).toEqual({ onHand: 70, reserved: 0 });
      expect(await stockOf(product.db, 'prd_test_pair_b')).toEqual({ onHand: 40, reserved: 0 });
    });

    it('answers NOT_FOUND for unknown products and unknown reservations', async () => {
      const unknownProduct = await failure(
        product.client.reserveStock({
          orderId: 'order-e',
          lines: [{ productId: 'prd_nope', quantity: 1 }],
        }),
      );
      expect(unknownProduct.code).toBe(status.NOT_FOUND);
      expect(unknownProduct.details).toContain('prd_nope');
      // Beside a line that could be reserved, and beside one that is short: still NOT_FOUND, and
      // nothing stays reserved.
      const lampBefore = await stockOf(product.db, 'prd_test_lamp');
      for (const other of [
        { productId: 'prd_test_lamp', quantity: 1 },
        { productId: 'prd_test_mug', quantity: 50 },
      ]) {
        const mixed = await failure(
          product.client.reserveStock({
            orderId: 'order-e',
            lines: [other, { productId: 'prd_nope', quantity: 1 }],
          }),
        );
        expect(mixed.code).toBe(status.NOT_FOUND);
        expect(mixed.details).toContain('prd_nope');
      }
      expect(await stockOf(product.db, 'prd_test_lamp')).toEqual(lampBefore);
      expect((await failure(product.client.commitStock({ orderId: 'never-reserved' }))).code).toBe(
        status.NOT_FOUND,
      );
    });

    it('rejects invalid lines with INVALID_ARGUMENT naming each field', async () => {
      const error = await failure(
        product.client.reserveStock({
          orderId: '',
          lines: [
            { productId: 'prd_test_mug', quantity: -1 },
            { productId: 'prd_test_mug', quantity: 1 },
          ],
        }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual([
        'order_id',
        'lines[0].quantity',
        'lines[1].product_id',
      ]);
      const empty = await failure(product.client.reserveStock({ orderId: 'order-f', lines: [] }));
      expect(fieldViolationsOf(empty)).toEqual([
        { field: 'lines', description: 'at least one line' },
      ]);
    });

    it('refuses a 10 MB request with RESOURCE_EXHAUSTED and keeps serving', async () => {
      const huge = await failure(product.client.getProduct({ id: 'x'.repeat(10 * 1024 * 1024) }));
      expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
      const { product: lamp } = await product.client.getProduct({ id: 'prd_test_lamp' });
      expect(lamp?.id).toBe('prd_test_lamp');
    });
  });
});

describe('reservation expiry', () => {
  let product: ProductUnderTest;

  beforeAll(async () => {
    product = await startProductUnderTest('pglite', {
      RESERVATION_TTL: '300ms',
      RESERVATION_SWEEP_INTERVAL: '100ms',
      SEED_CATALOG: 'false',
    });
    await addProduct(product.db, 'prd_test_kettle', 3);
  });

  afterAll(async () => {
    await product?.stop();
  });

  it('returns the stock of a reservation nobody paid for', async () => {
    await product.client.reserveStock({
      orderId: 'order-slow',
      lines: [{ productId: 'prd_test_kettle', quantity: 2 }],
    });
    expect(await stockOf(product.db, 'prd_test_kettle')).toEqual({ onHand: 3, reserved: 2 });
    let stock = await stockOf(product.db, 'prd_test_kettle');
    for (let attempt = 0; attempt < 50 && stock.reserved > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stock = await stockOf(product.db, 'prd_test_kettle');
    }
    expect(stock).toEqual({ onHand: 3, reserved: 0 });
    const released = await product.client.releaseStock({ orderId: 'order-slow' });
    expect(released.reservation?.status).toBe(ReservationStatus.RESERVATION_STATUS_EXPIRED);
  });
});

describe('seeding with SEED_STOCK', () => {
  let product: ProductUnderTest;

  beforeAll(async () => {
    product = await startProductUnderTest('pglite', { SEED_STOCK: '250000' });
  });

  afterAll(async () => {
    await product?.stop();
  });

  it('gives every seeded product that many units instead of the demo figures', async () => {
    const { products, totalSize } = await product.client.listProducts({
      pageSize: 100,
      pageToken: '',
      category: '',
      query: '',
    });
    expect(totalSize).toBe(SEED_CATALOG.length);
    expect(new Set(products.map((item) => item.stockAvailable))).toEqual(new Set([250_000]));
  });
});
