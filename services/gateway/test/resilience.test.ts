import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reservePort } from '@mercato/harness';
import { type RunningGrpcService } from '@mercato/service-kit';
import request from 'supertest';
import { createServer, type Gateway } from '../src/server.js';
import {
  eventually,
  gatewayConfig,
  newShopEnvironment,
  startShopProduct,
  type ShopEnvironment,
} from './support/shop.js';

const metricValue = (text: string, pattern: RegExp): number => {
  const line = text.split('\n').find((candidate) => pattern.test(candidate));
  return line ? Number(line.split(' ').at(-1)) : 0;
};
const BREAKER_STATE = /^gateway_circuit_breaker_state\{[^}]*backend="product"[^}]*\}/;
// Calls the gateway actually made to the product service (attempts, whatever their outcome).
const LIST_CATEGORIES_CALLS =
  /^grpc_client_handled_total\{[^}]*grpc_method="ListCategories"[^}]*\}/;

const LIST_CATEGORIES_SERVED =
  /^grpc_server_handled_total\{[^}]*grpc_method="ListCategories"[^}]*\}/;

const sumOf = (text: string, pattern: RegExp) =>
  text
    .split('\n')
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

describe('resilience when a backend goes away', () => {
  let env: ShopEnvironment;
  let product: RunningGrpcService | undefined;
  let gateway: Gateway;

  const metrics = async () => (await request(gateway.app).get('/metrics').expect(200)).text;

  beforeAll(async () => {
    env = await newShopEnvironment();
    product = await startShopProduct(env);
    gateway = createServer({
      config: gatewayConfig(env.ports, {
        BACKEND_CALL_TIMEOUT: '2s',
        BREAKER_FAILURE_THRESHOLD: '3',
        // Long enough that a slow CI runner cannot reach half-open between the assertions below.
        BREAKER_COOL_DOWN: '5s',
      }),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await product?.close().catch(() => undefined);
  });

  it('answers 503, opens the circuit, fails fast while open and recovers when the service is back', async () => {
    await request(gateway.app).get('/api/v1/categories').expect(200);

    await product!.close();
    product = undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await request(gateway.app).get('/api/v1/categories');
      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(metricValue(await metrics(), BREAKER_STATE)).toBe(1);

    // While open, the gateway answers without calling the product service at all.
    const callsBefore = sumOf(await metrics(), LIST_CATEGORIES_CALLS);
    const rejected = await request(gateway.app).get('/api/v1/categories').expect(503);
    expect(rejected.body).toMatchObject({ detail: 'The product service is unavailable' });
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThan(0);
    expect(sumOf(await metrics(), LIST_CATEGORIES_CALLS)).toBe(callsBefore);

    const ready = await request(gateway.app).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      checks: { product: { status: 'fail', critical: false, error: 'circuit open' } },
    });

    product = await startShopProduct(env);
    await eventually('the catalog to answer again', async () => {
      const response = await request(gateway.app).get('/api/v1/categories');
      return response.status === 200 ? response : undefined;
    });
    expect(metricValue(await metrics(), BREAKER_STATE)).toBe(0);
  });
});

describe('round-robin over several addresses', () => {
  let env: ShopEnvironment;
  const replicas: RunningGrpcService[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    env = await newShopEnvironment();
    const second = { ...env, ports: { ...env.ports, product: await reservePort() } };
    replicas.push(await startShopProduct(env), await startShopProduct(second));
    gateway = createServer({
      config: gatewayConfig(env.ports, {
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${env.ports.product},127.0.0.1:${second.ports.product}`,
      }),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    for (const replica of replicas) await replica.close().catch(() => undefined);
  });

  it('spreads calls over every product service replica through one client', async () => {
    const served = async (replica: RunningGrpcService) =>
      sumOf(await replica.metrics.metrics(), LIST_CATEGORIES_SERVED);
    await eventually('both replicas to serve calls', async () => {
      await request(gateway.app).get('/api/v1/categories').expect(200);
      const counts = await Promise.all(replicas.map(served));
      return counts.every((count) => count > 0) ? counts : undefined;
    });
  });
});

describe('deadlines', () => {
  let blackhole: Server;
  const sockets: Socket[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    // Accepts connections and never answers: without a deadline every call would hang.
    blackhole = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as { port: number };
    gateway = createServer({
      config: gatewayConfig(
        { product: port, order: port, payment: port },
        { BACKEND_CALL_TIMEOUT: '500ms' },
      ),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackhole.close(resolve));
  });

  it('answers 503 with Retry-After when a backend does not answer within the deadline', async () => {
    const response = await request(gateway.app).get('/api/v1/products');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toMatchObject({
      type: 'https://mercato.dev/problems/service-unavailable',
    });
  });
});
