import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient, type PromiseClient } from '@mercato/grpc';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import request from 'supertest';
import { createServer, type Gateway } from '../src/server.js';
import { sample } from './support/metrics.js';
import { eventually, gatewayConfig, startShop, type Shop } from './support/shop.js';

interface ApiProduct {
  id: string;
  price: { amountMinor: number; currency: string };
  stockAvailable: number;
}

describe('the catalog cache in front of the real product service, kept fresh over Kafka', () => {
  let shop: Shop;
  let gateway: Gateway;
  let products: PromiseClient<ProductServiceClient>;
  let token: string;
  let keys = 0;
  let logs: MemoryDestination;

  const metric = async (series: string) =>
    sample((await request(gateway.app).get('/metrics').expect(200)).text, series);
  const hits = () =>
    metric('gateway_catalog_cache_lookups_total{operation="getProduct",result="hit"}');
  const listHits = () =>
    metric('gateway_catalog_cache_lookups_total{operation="listProducts",result="hit"}');
  const applied = () => metric('gateway_catalog_cache_changes_total{outcome="applied"}');
  // Through the server's handler, as deployed: the fast lane first, Express for the rest.
  const getProduct = async (id: string) => {
    const response = await request(gateway.handler).get(`/api/v1/products/${id}`).expect(200);
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
    logs = new MemoryDestination();
    gateway = createServer({
      config: gatewayConfig(shop.env.ports, {
        KAFKA_BROKERS: shop.env.brokers,
        KAFKA_NAMESPACE: shop.env.namespace,
      }),
      logger: createLogger({ service: 'gateway', level: 'info', destination: logs }),
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

  it('never serves the old price once a price change behind its back has reached it, and keeps serving from memory', async () => {
    const product = await aProduct(1);
    await getProduct(product.id);
    const { etag } = await getProduct(product.id);
    const appliedBefore = await applied();
    const newPrice = product.price.amountMinor + 101;
    await products.setProductPrice({
      productId: product.id,
      price: { amountMinor: newPrice, currency: product.price.currency },
    });
    await eventually('the change event to reach the cache', async () =>
      (await applied()) > appliedBefore ? true : undefined,
    );
    // The very next read after the change, and every one after it — from memory: the event's
    // price was written into the cached product, not dropped for the product service to read.
    const hitsBefore = await hits();
    expect((await getProduct(product.id)).body.price.amountMinor).toBe(newPrice);
    expect(await hits()).toBe(hitsBefore + 1);
    await readsSettleOn(product.id, (read) => read.price.amountMinor, newPrice);
    // The old validator no longer matches: a client revalidating gets the new product.
    const revalidated = await request(gateway.app)
      .get(`/api/v1/products/${product.id}`)
      .set('If-None-Match', etag)
      .expect(200);
    expect((revalidated.body as ApiProduct).price.amountMinor).toBe(newPrice);
    // Lists show prices too: the page holds the new one, from memory as well.
    const listHitsBefore = await listHits();
    const page = await request(gateway.app).get('/api/v1/products?pageSize=10').expect(200);
    expect(await listHits()).toBe(listHitsBefore + 1);
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
    // No waiting: the order's reservation happened before POST /orders answered, and its answer
    // carried the product as the reservation left it, so both reads come from memory.
    const [hitsBefore, listHitsBefore] = [await hits(), await listHits()];
    expect((await getProduct(product.id)).body.stockAvailable).toBe(product.stockAvailable - 2);
    expect((await aProduct(2)).stockAvailable).toBe(product.stockAvailable - 2);
    expect([await hits(), await listHits()]).toEqual([hitsBefore + 1, listHitsBefore + 1]);
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

  describe('the catalog fast lane', () => {
    const fastAnswers = (operation: string) =>
      metric(`gateway_catalog_fast_lane_responses_total{operation="${operation}"}`);
    // Headers whose values differ between any two responses, whichever lane sends them.
    const PER_RESPONSE = new Set(['date', 'x-request-id', 'traceparent', 'ratelimit']);
    const comparable = (headers: Record<string, string>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_RESPONSE.has(name)));

    it.each([
      ['a product', async () => `/api/v1/products/${(await aProduct(3)).id}`, 'getProduct'],
      ['the categories', async () => '/api/v1/categories', 'listCategories'],
    ])(
      'answers %s from the cache exactly as the Express lane does',
      async (_what, path, operation) => {
        const url = await path();
        await request(gateway.app).get(url).expect(200);
        const fastBefore = await fastAnswers(operation);
        const fast = await request(gateway.handler).get(url).expect(200);
        expect(await fastAnswers(operation)).toBe(fastBefore + 1);
        const viaExpress = await request(gateway.app).get(url).expect(200);
        expect(await fastAnswers(operation)).toBe(fastBefore + 1);
        expect(fast.text).toBe(viaExpress.text);
        expect(comparable(fast.headers)).toEqual(comparable(viaExpress.headers));
        // … in the same order on the wire.
        const names = (response: request.Response) =>
          (response as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders
            .filter((_, n) => n % 2 === 0)
            .map((name) => name.toLowerCase());
        expect(names(fast)).toEqual(names(viaExpress));
        expect(fast.headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
        expect(fast.headers.ratelimit).toMatch(/^"\d+-in-1min"; r=\d+; t=\d+$/);
        expect(fast.headers['content-security-policy']).toContain("default-src 'self'");

        const notModified = await request(gateway.handler)
          .get(url)
          .set('If-None-Match', fast.headers.etag!)
          .expect(304);
        expect(notModified.text).toBe('');
        expect(await fastAnswers(operation)).toBe(fastBefore + 2);
      },
    );

    it("writes the same access log line and keeps the caller's correlation", async () => {
      const { id } = await aProduct(3);
      await getProduct(id);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await request(gateway.handler)
        .get(`/api/v1/products/${id}`)
        .set('x-request-id', 'req-fast-lane-1')
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .expect(200);
      expect(response.headers['x-request-id']).toBe('req-fast-lane-1');
      expect(response.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-01$`));
      const line = await eventually('the access log line', async () =>
        logs.records().find((record) => record.requestId === 'req-fast-lane-1'),
      );
      expect(line).toMatchObject({
        trace_id: traceId,
        msg: 'request completed',
        req: { method: 'GET', url: `/api/v1/products/${id}`, route: '/api/v1/products/:productId' },
        res: { statusCode: 200 },
      });
      const series =
        'http_server_request_duration_seconds_count{method="GET",route="/api/v1/products/:productId",status_code="200"}';
      expect(await metric(series)).toBeGreaterThan(0);
    });

    it('leaves to Express what it cannot answer alike: CORS, unknown tokens, query strings', async () => {
      const { id } = await aProduct(3);
      const url = `/api/v1/products/${id}`;
      await getProduct(id);
      const before = await fastAnswers('getProduct');
      await request(gateway.handler)
        .get(url)
        .set('Origin', 'https://elsewhere.example')
        .expect(200);
      await request(gateway.handler).get(`${url}?x=1`).expect(200);
      const fresh = await request(gateway.app)
        .post('/api/v1/auth/token')
        .send({ kind: 'guest' })
        .expect(200);
      const guest = (fresh.body as { accessToken: string }).accessToken;
      // Not verified before: Express verifies it (and remembers it) …
      await request(gateway.handler).get(url).set('Authorization', `Bearer ${guest}`).expect(200);
      expect(await fastAnswers('getProduct')).toBe(before);
      // … so the next request with it takes the fast lane; a forged one never does.
      await request(gateway.handler).get(url).set('Authorization', `Bearer ${guest}`).expect(200);
      expect(await fastAnswers('getProduct')).toBe(before + 1);
      await request(gateway.handler).get(url).set('Authorization', `Bearer ${guest}x`).expect(200);
      expect(await fastAnswers('getProduct')).toBe(before + 1);
    });

    it('shares one rate-limit budget with the Express lane, and leaves the 429 to it', async () => {
      const limited = createServer({
        config: gatewayConfig(shop.env.ports, {
          KAFKA_BROKERS: shop.env.brokers,
          KAFKA_NAMESPACE: shop.env.namespace,
          RATE_LIMIT_MAX: '4',
        }),
      });
      limited.start();
      try {
        await eventually('the feed to be live', async () =>
          limited.catalogCache?.live ? true : undefined,
        );
        const { id } = await aProduct(3);
        const url = `/api/v1/products/${id}`;
        const lanes = [limited.app, limited.handler, limited.handler, limited.app, limited.handler];
        const answers = [];
        for (const lane of lanes) answers.push(await request(lane).get(url));
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 429]);
        expect(answers.map((answer) => answer.headers.ratelimit)).toEqual([
          expect.stringContaining('r=3;'),
          expect.stringContaining('r=2;'),
          expect.stringContaining('r=1;'),
          expect.stringContaining('r=0;'),
          expect.stringContaining('r=0;'),
        ]);
        expect(answers[4]!.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(Number(answers[4]!.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        await limited.close();
      }
    });
  });
});
