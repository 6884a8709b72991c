import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient, type PromiseClient } from '@mercato/grpc';
import request from 'supertest';
import { createServer, type Gateway } from '../src/server.js';
import { eventually, gatewayConfig, startShop, type Shop } from './support/shop.js';

interface ApiProduct {
  id: string;
  price: { amountMinor: number; currency: string };
  stockAvailable: number;
}

/**
 * The value of a series of a Prometheus text exposition, 0 when it is absent: `name{a="1"}` matches
 * the series of that name whose labels include `a="1"` (the registry adds `service` and others).
 */
function sample(exposition: string, series: string): number {
  const [, name, wanted = ''] = /^(\w+)(?:\{(.*)\})?$/.exec(series)!;
  const labels = wanted ? wanted.split(',') : [];
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (labels.every((label) => present.includes(label))) return Number(match[3]);
  }
  return 0;
}

describe('the catalog cache in front of the real product service, kept fresh over Kafka', () => {
  let shop: Shop;
  let gateway: Gateway;
  let products: PromiseClient<ProductServiceClient>;
  let token: string;
  let keys = 0;

  const metric = async (series: string) =>
    sample((await request(gateway.app).get('/metrics').expect(200)).text, series);
  const hits = () =>
    metric('gateway_catalog_cache_lookups_total{operation="getProduct",result="hit"}');
  const evictions = () => metric('gateway_catalog_cache_evictions_total{scope="product"}');
  const getProduct = async (id: string) => {
    const response = await request(gateway.app).get(`/api/v1/products/${id}`).expect(200);
    return { body: response.body as ApiProduct, etag: response.headers.etag! };
  };
  const aProduct = async (offset: number): Promise<ApiProduct> => {
    const response = await request(gateway.app).get('/api/v1/products?pageSize=10').expect(200);
    return (response.body as { products: ApiProduct[] }).products[offset]!;
  };
  /** Reads the product until it shows `expected`, then checks no later read shows anything else. */
  const readsSettleOn = async (
    id: string,
    pick: (product: ApiProduct) => number,
    expected: number,
  ) => {
    await eventually(`product ${id} to show ${expected}`, async () =>
      pick((await getProduct(id)).body) === expected ? true : undefined,
    );
    for (let read = 0; read < 20; read++) expect(pick((await getProduct(id)).body)).toBe(expected);
  };

  beforeAll(async () => {
    shop = await startShop();
    gateway = createServer({
      config: gatewayConfig(shop.env.ports, {
        KAFKA_BROKERS: shop.env.brokers,
        KAFKA_NAMESPACE: shop.env.namespace,
      }),
    });
    gateway.start();
    products = createClient(ProductServiceClient, {
      addresses: [`127.0.0.1:${shop.env.ports.product}`],
      defaultDeadlineMs: 10_000,
    });
    const response = await request(gateway.app)
      .post('/api/v1/auth/token')
      .send({ kind: 'customer', customerId: 'demo-alice' })
      .expect(200);
    token = (response.body as { accessToken: string }).accessToken;
    await eventually('the catalog feed to be live', async () =>
      gateway.catalogCache?.live ? true : undefined,
    );
  });

  afterAll(async () => {
    products?.close();
    await gateway?.close();
    await shop?.stop();
  });

  it('answers a repeated read from memory, with the same strong ETag and bytes', async () => {
    const { id } = await aProduct(0);
    const first = await request(gateway.app).get(`/api/v1/products/${id}`).expect(200);
    const hitsBefore = await hits();
    const second = await request(gateway.app).get(`/api/v1/products/${id}`).expect(200);
    expect(await hits()).toBe(hitsBefore + 1);
    expect(second.text).toBe(first.text);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(second.headers['cache-control']).toBe('public, no-cache');
  });

  it('answers a matching If-None-Match with 304 and no body, and other tags with the product', async () => {
    const { id } = await aProduct(0);
    const { etag } = await getProduct(id);
    const notModified = await request(gateway.app)
      .get(`/api/v1/products/${id}`)
      .set('If-None-Match', etag)
      .expect(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers['content-length']).toBeUndefined();
    expect(notModified.headers.etag).toBe(etag);
    const changed = await request(gateway.app)
      .get(`/api/v1/products/${id}`)
      .set('If-None-Match', '"something-else"')
      .expect(200);
    expect((changed.body as ApiProduct).id).toBe(id);
  });

  it('never serves the old price once a price change behind its back has reached it', async () => {
    const product = await aProduct(1);
    await getProduct(product.id);
    const { etag } = await getProduct(product.id);
    const evictionsBefore = await evictions();
    const newPrice = product.price.amountMinor + 101;
    await products.setProductPrice({
      productId: product.id,
      price: { amountMinor: newPrice, currency: product.price.currency },
    });
    await eventually('the change event to evict', async () =>
      (await evictions()) > evictionsBefore ? true : undefined,
    );
    // The very next read after the eviction, and every one after it.
    expect((await getProduct(product.id)).body.price.amountMinor).toBe(newPrice);
    await readsSettleOn(product.id, (read) => read.price.amountMinor, newPrice);
    // The old validator no longer matches: a client revalidating gets the new product.
    const revalidated = await request(gateway.app)
      .get(`/api/v1/products/${product.id}`)
      .set('If-None-Match', etag)
      .expect(200);
    expect((revalidated.body as ApiProduct).price.amountMinor).toBe(newPrice);
    // Lists show prices too: the page holds the new one.
    const page = await request(gateway.app).get('/api/v1/products?pageSize=10').expect(200);
    const listed = (page.body as { products: ApiProduct[] }).products.find(
      ({ id }) => id === product.id,
    );
    expect(listed?.price.amountMinor).toBe(newPrice);
  });

  it('shows the new stock on the very next read after an order through this gateway', async () => {
    const product = await aProduct(2);
    await getProduct(product.id);
    await request(gateway.app).get('/api/v1/products?pageSize=10').expect(200);
    const placed = await request(gateway.app)
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', `cache-order-${(keys += 1)}`)
      .send({ lines: [{ productId: product.id, quantity: 2 }], paymentToken: 'tok_declined' })
      .expect(201);
    // No waiting: the order's reservation happened before POST /orders answered.
    expect((await getProduct(product.id)).body.stockAvailable).toBe(product.stockAvailable - 2);
    expect((await aProduct(2)).stockAvailable).toBe(product.stockAvailable - 2);
    // The payment is declined, the order cancelled and the reservation released by the product
    // service (behind the gateway's back): the stock comes back, and stays back.
    const orderId = (placed.body as { id: string }).id;
    await eventually(`order ${orderId} to be cancelled`, async () => {
      const order = await request(gateway.app)
        .get(`/api/v1/orders/${orderId}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      return (order.body as { status: string }).status === 'CANCELLED' ? true : undefined;
    });
    await readsSettleOn(product.id, (read) => read.stockAvailable, product.stockAvailable);
  });

  it('bypasses the cache, and still answers fresh, while its feed cannot reach Kafka', async () => {
    const unreachable = createServer({
      config: gatewayConfig(shop.env.ports, { KAFKA_BROKERS: '127.0.0.1:1' }),
    });
    unreachable.start();
    try {
      const product = await aProduct(1);
      for (let read = 0; read < 3; read++) {
        const response = await request(unreachable.app)
          .get(`/api/v1/products/${product.id}`)
          .expect(200);
        expect(response.body).toEqual(product);
        expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
      }
      const exposition = (await request(unreachable.app).get('/metrics').expect(200)).text;
      expect(
        sample(
          exposition,
          'gateway_catalog_cache_lookups_total{operation="getProduct",result="bypass"}',
        ),
      ).toBe(3);
      expect(sample(exposition, 'gateway_catalog_cache_live')).toBe(0);
      const ready = await request(unreachable.app).get('/health/ready').expect(200);
      expect(JSON.stringify(ready.body)).toContain('catalog-feed');
    } finally {
      await unreachable.close();
    }
  });
});
