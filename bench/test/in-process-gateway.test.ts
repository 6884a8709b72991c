import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@mercato/gateway-service';
import { testInfraEnvironment } from '@mercato/harness';
import { loadProductConfig, startProductService } from '@mercato/product-service';
import type { RunningGrpcService } from '@mercato/service-kit';
import { measureThroughput } from '../src/http-load.js';
import { residentSetBytes, startTarget, type BenchProcess } from '../src/processes.js';

const productEnv = () => ({
  HOST: '127.0.0.1',
  GRPC_PORT: '0',
  HTTP_PORT: '0',
  KAFKA_BROKERS: testInfraEnvironment().kafkaBrokers.join(','),
  KAFKA_NAMESPACE: `bench-test-${randomBytes(4).toString('hex')}.`,
  LOG_LEVEL: 'silent',
  SEED_CATALOG: 'true',
  SHUTDOWN_DRAIN_DELAY: '0',
});
const gatewayEnv = (extra: Record<string, string> = {}) => ({
  HOST: '127.0.0.1',
  HTTP_PORT: '0',
  LOG_LEVEL: 'silent',
  JWT_SECRET: randomBytes(32).toString('hex'),
  SHUTDOWN_DRAIN_DELAY: '0',
  ...extra,
});

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe('benchmark target (b): the gateway with the product service in-process', () => {
  let product: RunningGrpcService;
  let overGrpc: RunningGateway;
  let inProcess: { process: BenchProcess; url: string };

  // Two product services start (PGlite, migrations, seed, Kafka consumer): side by side, with room
  // for a busy 2-core machine.
  beforeAll(async () => {
    const target = startTarget('in-process-gateway', {
      productEnv: productEnv(),
      gatewayEnv: gatewayEnv({ RATE_LIMIT_MAX: '1000000' }),
    });
    try {
      product = await startProductService(loadProductConfig({ env: productEnv() }));
      overGrpc = await startGateway(
        loadGatewayConfig({
          env: gatewayEnv({ PRODUCT_SERVICE_ADDRESSES: product.grpcAddress }),
        }),
      );
    } finally {
      inProcess = await target;
    }
  }, 120_000);

  afterAll(async () => {
    await inProcess?.process.stop();
    await overGrpc?.stop();
    await product?.close();
  });

  it.each([
    ['the catalog', '/api/v1/products?pageSize=100'],
    ['one category', '/api/v1/products?category=kitchen'],
    ['the categories', '/api/v1/categories'],
    ['a missing product (problem+json)', '/api/v1/products/prd_does_not_exist'],
  ])('answers %s exactly as the gateway over gRPC does', async (_what, path) => {
    const expected = await get(`${overGrpc.url}${path}`);
    const actual = await get(`${inProcess.url}${path}`);
    // A problem names its own request and trace; the rest must be the same.
    const withoutIds = (body: unknown) => ({
      ...(body as object),
      requestId: undefined,
      traceId: undefined,
    });
    expect(actual.status).toBe(expected.status);
    expect(withoutIds(actual.body)).toEqual(withoutIds(expected.body));
  });

  it('serves each product as over gRPC', async () => {
    const { body } = await get(`${overGrpc.url}/api/v1/products?pageSize=5`);
    const { products } = body as { products: { id: string }[] };
    expect(products).toHaveLength(5);
    for (const { id } of products) {
      expect(await get(`${inProcess.url}/api/v1/products/${id}`)).toEqual(
        await get(`${overGrpc.url}/api/v1/products/${id}`),
      );
    }
  });

  it('is measured with every response counted and none failed (a one-second bench run)', async () => {
    const { body } = await get(`${inProcess.url}/api/v1/products?pageSize=1`);
    const [{ id }] = (body as { products: [{ id: string }] }).products;
    const result = await measureThroughput(`${inProcess.url}/api/v1/products/${id}`, {
      connections: 4,
      warmupSeconds: 0,
      durationSeconds: 1,
    });
    expect(result).toMatchObject({ non2xx: 0, errors: 0 });
    expect(result.latencyMs.count).toBe(result.responses);
    expect(result.requestsPerSecond).toBeCloseTo(result.responses / result.durationSeconds, 6);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
  });

  it('(g) bare Express answers with the very bytes of (a) raw node:http', async () => {
    const { body } = await get(`${inProcess.url}/api/v1/products?pageSize=1`);
    const [{ id }] = (body as { products: [{ id: string }] }).products;
    const path = `/api/v1/products/${id}`;
    const json = await (await fetch(`${inProcess.url}${path}`)).text();
    const targets = await Promise.all([
      startTarget('raw-http', { body: json }),
      startTarget('express', { body: json }),
    ]);
    try {
      const [raw, bare] = await Promise.all(targets.map(({ url }) => fetch(`${url}${path}`)));
      expect(bare!.status).toBe(200);
      expect(bare!.headers.get('content-type')).toBe(raw!.headers.get('content-type'));
      expect(await bare!.text()).toBe(await raw!.text());
    } finally {
      await Promise.all(targets.map(({ process }) => process.stop()));
    }
  });

  it('reads the resident memory of the target process, and nothing for a process that is gone', async () => {
    expect(await residentSetBytes(inProcess.process.pid)).toBeGreaterThan(10 * 2 ** 20);
    const target = await startTarget('raw-http', { body: '{}' });
    await target.process.stop();
    expect(target.process.child.exitCode).toBe(0);
    expect(await residentSetBytes(target.process.pid)).toBeUndefined();
  });
});
