import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import { SignJWT } from 'jose';
import request from 'supertest';
import { createServer, startGateway, type Gateway } from '../src/server.js';
import { runSchemathesis } from './support/schemathesis.js';
import {
  eventually,
  gatewayConfig,
  startShop,
  TEST_JWT_SECRET,
  type Shop,
} from './support/shop.js';

interface ApiOrder {
  id: string;
  customerId: string;
  status: string;
  statusReason: string;
  total: { amountMinor: number; currency: string };
  lines: { productId: string; quantity: number }[];
}

const PROBLEM = /^application\/problem\+json/;
let keys = 0;
const nextKey = () => `gw-key-${(keys += 1)}`;

describe('gateway against the real product, order and payment services', () => {
  let shop: Shop;
  let gateway: Gateway;
  let logs: MemoryDestination;

  const tokenFor = async (body: object): Promise<string> => {
    const response = await request(gateway.app).post('/api/v1/auth/token').send(body).expect(200);
    return (response.body as { accessToken: string }).accessToken;
  };
  const alice = () => tokenFor({ kind: 'customer', customerId: 'demo-alice' });
  const bob = () => tokenFor({ kind: 'customer', customerId: 'demo-bob' });

  const firstProductId = async (): Promise<string> => {
    const response = await request(gateway.app).get('/api/v1/products?pageSize=1').expect(200);
    return (response.body as { products: { id: string }[] }).products[0]!.id;
  };

  const placeOrder = async (token: string, paymentToken: string): Promise<ApiOrder> => {
    const response = await request(gateway.app)
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', nextKey())
      .send({ lines: [{ productId: await firstProductId(), quantity: 1 }], paymentToken })
      .expect(201);
    return response.body as ApiOrder;
  };

  const settled = (token: string, orderId: string) =>
    eventually(`order ${orderId} to settle`, async () => {
      const response = await request(gateway.app)
        .get(`/api/v1/orders/${orderId}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      const order = response.body as ApiOrder;
      return order.status === 'PENDING_PAYMENT' ? undefined : order;
    });

  beforeAll(async () => {
    shop = await startShop();
    logs = new MemoryDestination();
    gateway = createServer({
      config: gatewayConfig(shop.env.ports),
      logger: createLogger({ service: 'gateway', level: 'info', destination: logs }),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await shop?.stop();
  });

  describe('checkout', () => {
    it('browses the catalog, orders with a good card and sees the order PAID', async () => {
      const categories = await request(gateway.app).get('/api/v1/categories').expect(200);
      const [category] = (categories.body as { categories: { name: string }[] }).categories;
      expect(category).toBeDefined();

      const page = await request(gateway.app)
        .get('/api/v1/products')
        .query({ category: category!.name, pageSize: '2' })
        .expect(200);
      const body = page.body as {
        products: {
          id: string;
          category: string;
          price: { amountMinor: number; currency: string };
        }[];
        nextPageToken: string | null;
        totalSize: number;
      };
      expect(body.products).toHaveLength(2);
      expect(body.products.every((product) => product.category === category!.name)).toBe(true);
      expect(body.products[0]!.price).toEqual({ amountMinor: expect.any(Number), currency: 'EUR' });
      const next = await request(gateway.app)
        .get('/api/v1/products')
        .query({ category: category!.name, pageSize: '2', pageToken: body.nextPageToken! })
        .expect(200);
      expect((next.body as { products: { id: string }[] }).products[0]!.id).not.toBe(
        body.products[0]!.id,
      );

      const search = await request(gateway.app)
        .get('/api/v1/products')
        .query({ q: 'mug' })
        .expect(200);
      expect((search.body as { totalSize: number }).totalSize).toBeGreaterThan(0);

      const product = await request(gateway.app)
        .get(`/api/v1/products/${body.products[0]!.id}`)
        .expect(200);
      expect(product.body).toMatchObject({ id: body.products[0]!.id });

      const token = await alice();
      const created = await request(gateway.app)
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', nextKey())
        .send({
          lines: [{ productId: body.products[0]!.id, quantity: 2 }],
          paymentToken: 'tok_success',
        })
        .expect(201);
      const order = created.body as ApiOrder;
      expect(order).toMatchObject({ customerId: 'demo-alice', status: 'PENDING_PAYMENT' });
      expect(order.total.amountMinor).toBe(body.products[0]!.price.amountMinor * 2);
      expect(created.headers.location).toBe(`/api/v1/orders/${order.id}`);

      expect((await settled(token, order.id)).status).toBe('PAID');
      const payment = await request(gateway.app)
        .get(`/api/v1/orders/${order.id}/payment`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(payment.body).toMatchObject({
        orderId: order.id,
        status: 'SUCCEEDED',
        amount: order.total,
      });

      const mine = await request(gateway.app)
        .get('/api/v1/orders')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect((mine.body as { orders: ApiOrder[] }).orders.map((listed) => listed.id)).toContain(
        order.id,
      );
    });

    it('cancels the order of a declined card', async () => {
      const token = await tokenFor({ kind: 'guest' });
      const order = await placeOrder(token, 'tok_declined');
      expect(order.customerId).toMatch(/^guest-/);
      expect(await settled(token, order.id)).toMatchObject({
        status: 'CANCELLED',
        statusReason: 'card_declined',
      });
    });

    it('returns the same order for a retried Idempotency-Key and 409 when the body differs', async () => {
      const token = await alice();
      const key = nextKey();
      const productId = await firstProductId();
      const send = (quantity: number) =>
        request(gateway.app)
          .post('/api/v1/orders')
          .set('Authorization', `Bearer ${token}`)
          .set('Idempotency-Key', key)
          .send({ lines: [{ productId, quantity }], paymentToken: 'tok_success' });
      const first = await send(1).expect(201);
      const retry = await send(1).expect(201);
      expect((retry.body as ApiOrder).id).toBe((first.body as ApiOrder).id);
      const conflict = await send(3).expect(409);
      expect(conflict.headers['content-type']).toMatch(PROBLEM);
    });

    it('cancels an order the customer owns', async () => {
      const token = await alice();
      const order = await placeOrder(token, 'tok_success');
      const cancelled = await request(gateway.app)
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(['CANCELLED', 'REFUNDED']).toContain((cancelled.body as ApiOrder).status);
    });
  });

  describe('validation', () => {
    it('requires an Idempotency-Key to create an order', async () => {
      const response = await request(gateway.app)
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${await alice()}`)
        .send({ lines: [{ productId: 'x', quantity: 1 }], paymentToken: 'tok_success' })
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({
        type: 'https://mercato.dev/problems/validation-error',
        status: 400,
        errors: [{ field: 'Idempotency-Key', message: expect.any(String) }],
      });
    });

    it('names every invalid field of the body', async () => {
      const response = await request(gateway.app)
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${await alice()}`)
        .set('Idempotency-Key', nextKey())
        .send({ lines: [{ productId: 'x', quantity: 0 }] })
        .expect(400);
      const fields = (response.body as { errors: { field: string }[] }).errors.map(
        (error) => error.field,
      );
      expect(fields.sort()).toEqual(['lines[0].quantity', 'paymentToken']);
    });

    it('passes on the field violations of a backend', async () => {
      const response = await request(gateway.app)
        .get('/api/v1/products')
        .query({ pageToken: 'not-a-token' })
        .expect(400);
      expect(response.body).toMatchObject({
        status: 400,
        errors: [{ field: 'pageToken', message: 'is not a token this API issued' }],
      });
    });

    it('answers 404 problem+json for an unknown product', async () => {
      const response = await request(gateway.app).get('/api/v1/products/prd_nope').expect(404);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({
        type: 'https://mercato.dev/problems/not-found',
        status: 404,
      });
    });
  });

  describe('authorization', () => {
    it("answers 404 to a customer reading or cancelling another customer's order", async () => {
      const order = await placeOrder(await alice(), 'tok_success');
      const token = await bob();
      for (const [method, path] of [
        ['get', `/api/v1/orders/${order.id}`],
        ['get', `/api/v1/orders/${order.id}/payment`],
        ['post', `/api/v1/orders/${order.id}/cancel`],
      ] as const) {
        const agent = request(gateway.app);
        const call = method === 'get' ? agent.get(path) : agent.post(path);
        const response = await call.set('Authorization', `Bearer ${token}`);
        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(PROBLEM);
      }
      const listed = await request(gateway.app)
        .get('/api/v1/orders')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect((listed.body as { orders: ApiOrder[] }).orders.map((o) => o.id)).not.toContain(
        order.id,
      );
    });

    it('takes the customer from the token, never from the body', async () => {
      const response = await request(gateway.app)
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${await bob()}`)
        .set('Idempotency-Key', nextKey())
        .send({
          customerId: 'demo-alice',
          lines: [{ productId: await firstProductId(), quantity: 1 }],
          paymentToken: 'tok_success',
        })
        .expect(201);
      expect((response.body as ApiOrder).customerId).toBe('demo-bob');
    });

    it('issues tokens only for the demo customers', async () => {
      await request(gateway.app)
        .post('/api/v1/auth/token')
        .send({ kind: 'customer', customerId: 'someone-else' })
        .expect(400);
    });

    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const claims = () =>
      new SignJWT({ kind: 'customer' })
        .setSubject('demo-alice')
        .setIssuer('mercato-gateway')
        .setAudience('mercato-api')
        .setIssuedAt();

    it.each([
      ['no token', async () => undefined],
      ['a malformed header', async () => 'Token abc'],
      ['a token that is not a JWT', async () => 'Bearer not.a.jwt'],
      [
        'an expired token',
        async () =>
          `Bearer ${await claims()
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
            .sign(key)}`,
      ],
      [
        'a token signed with HS512',
        async () =>
          `Bearer ${await claims().setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key)}`,
      ],
      [
        'an unsigned token (alg none)',
        async () => {
          const encode = (value: object) =>
            Buffer.from(JSON.stringify(value)).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          return `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${encode({
            sub: 'demo-alice',
            iss: 'mercato-gateway',
            aud: 'mercato-api',
            exp: now + 600,
          })}.`;
        },
      ],
      [
        'a token of another issuer',
        async () =>
          `Bearer ${await claims()
            .setIssuer('someone-else')
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime('1h')
            .sign(key)}`,
      ],
      [
        'a token signed with another secret',
        async () =>
          `Bearer ${await claims()
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123'))}`,
      ],
    ])('answers 401 to %s', async (_case, authorization) => {
      const header = await authorization();
      const call = request(gateway.app).get('/api/v1/orders');
      const response = await (header ? call.set('Authorization', header) : call);
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });
  });

  describe('edge protection', () => {
    it('answers malformed JSON with 400 problem+json', async () => {
      const response = await request(gateway.app)
        .post('/api/v1/auth/token')
        .set('Content-Type', 'application/json')
        .send('{"kind": "guest"')
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({
        type: 'https://mercato.dev/problems/malformed-request',
      });
    });

    it('answers a 2 MB body with 413 problem+json', async () => {
      const response = await request(gateway.app)
        .post('/api/v1/auth/token')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ kind: 'guest', padding: 'x'.repeat(2 * 1024 * 1024) }))
        .expect(413);
      expect(response.headers['content-type']).toMatch(PROBLEM);
    });

    it('answers a burst over the limit with 429 and Retry-After', async () => {
      const limited = createServer({
        config: gatewayConfig(shop.env.ports, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1m' }),
      });
      try {
        const statuses: number[] = [];
        let lastResponse: request.Response | undefined;
        for (let attempt = 0; attempt < 5; attempt += 1) {
          lastResponse = await request(limited.app).get('/api/v1/categories');
          statuses.push(lastResponse.status);
        }
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
        expect(lastResponse!.headers['content-type']).toMatch(PROBLEM);
        expect(Number(lastResponse!.headers['retry-after'])).toBeGreaterThan(0);
        // Health probes are never rate limited.
        await request(limited.app).get('/health/live').expect(200);
      } finally {
        await limited.close();
      }
    });

    it('sets the security headers and allows only configured CORS origins', async () => {
      const response = await request(gateway.app)
        .get('/api/v1/categories')
        .set('Origin', 'https://evil.example')
        .expect(200);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();

      const allowed = createServer({
        config: gatewayConfig(shop.env.ports, { CORS_ORIGINS: 'https://shop.example' }),
      });
      try {
        const preflight = await request(allowed.app)
          .options('/api/v1/orders')
          .set('Origin', 'https://shop.example')
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'authorization,idempotency-key,content-type');
        expect(preflight.status).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
      } finally {
        await allowed.close();
      }
    });
  });

  describe('correlation and observability', () => {
    it('echoes x-request-id, continues the trace and logs both on the access log line', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await request(gateway.app)
        .get('/api/v1/categories')
        .set('x-request-id', 'req-gateway-test-1')
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .expect(200);
      expect(response.headers['x-request-id']).toBe('req-gateway-test-1');
      expect(response.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-01$`));
      const line = await eventually('the access log line', async () =>
        logs.records().find((record) => record.requestId === 'req-gateway-test-1'),
      );
      expect(line).toMatchObject({
        trace_id: traceId,
        msg: 'request completed',
        req: { method: 'GET', route: '/api/v1/categories' },
        res: { statusCode: 200 },
      });
    });

    it('creates a request id when there is none', async () => {
      const response = await request(gateway.app).get('/api/v1/categories').expect(200);
      expect(response.headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
    });

    it('records RED metrics per route template and reports the backends in readiness', async () => {
      await request(gateway.app).get('/api/v1/products/prd_nope').expect(404);
      const metrics = await request(gateway.app).get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /http_server_request_duration_seconds_count\{[^}]*route="\/api\/v1\/products\/:productId"[^}]*status_code="404"/,
      );
      expect(metrics.text).toMatch(
        /gateway_circuit_breaker_state\{[^}]*backend="product"[^}]*\} 0/,
      );
      const ready = await request(gateway.app).get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'ready',
        checks: {
          product: { status: 'pass' },
          order: { status: 'pass' },
          payment: { status: 'pass' },
        },
      });
    });
  });

  describe('property-based API testing', () => {
    it('finds no server error and no response outside the OpenAPI document (Schemathesis)', async () => {
      const running = await startGateway(
        gatewayConfig(shop.env.ports, { RATE_LIMIT_MAX: '100000' }),
      );
      try {
        const run = await runSchemathesis([
          `${running.url}/openapi.json`,
          '--checks',
          'not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance',
          '--seed',
          '42',
          '--max-examples',
          '15',
          '--phases',
          'examples,coverage,fuzzing',
          '--generation-database',
          'none',
          '--workers',
          '1',
          '--no-color',
          '--header',
          `Authorization: Bearer ${await alice()}`,
        ]);
        if (run.exitCode !== 0) console.error(run.output);
        expect(run.exitCode).toBe(0);
        // Every operation of the document was exercised, not just the document parsed.
        expect(run.output).toMatch(/Tested: 9\b/);
      } finally {
        await running.stop();
      }
    }, 120_000);
  });
});
