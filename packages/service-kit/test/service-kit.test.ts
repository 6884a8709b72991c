import { once } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient, fieldViolationsOf, type PromiseClient } from '@mercato/grpc';
import { createLogger } from '@mercato/logger';
import { MemoryDestination, type LogRecord } from '@mercato/logger/testing';
import { freePort, type RunningGrpcService } from '../src/index.js';
import {
  CRASH_MESSAGE,
  CRASHING_ID,
  FIXTURE_SERVICE,
  LAMP,
  startBareService,
  startFixtureService,
} from './support/fixture-service.js';
import {
  connectionRefused,
  HealthProbe,
  portOf,
  promtoolCheckMetrics,
  sampleValue,
  startDownstreamCatalog,
} from './support/probes.js';

const PRODUCT_SERVICE = 'mercato.product.v1.ProductService';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;

/** The error a call failed with (fails the test if the call succeeded). */
function failure(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: ServiceError) => error,
  );
}

/** Metadata carrying a request id and, optionally, a W3C traceparent. */
function correlation(requestId: string, traceparent?: string): Metadata {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  if (traceparent) metadata.set('traceparent', traceparent);
  return metadata;
}

/** The log lines the handler wrote for one product id. */
const handlerLines = (logs: MemoryDestination, productId: string): LogRecord[] =>
  logs.records().filter((line) => line.msg === 'GetProduct called' && line.productId === productId);

describe('a service started with startGrpcService', () => {
  let downstream: Awaited<ReturnType<typeof startDownstreamCatalog>>;
  let logs: MemoryDestination;
  let service: RunningGrpcService;
  let client: PromiseClient<ProductServiceClient>;
  let health: HealthProbe;

  beforeAll(async () => {
    downstream = await startDownstreamCatalog();
    logs = new MemoryDestination();
    service = await startFixtureService({
      downstreamAddress: downstream.address,
      logger: createLogger({ service: FIXTURE_SERVICE, destination: logs }),
    });
    client = createClient(ProductServiceClient, {
      addresses: [service.grpcAddress],
      defaultDeadlineMs: 10_000,
    });
    health = new HealthProbe(service.grpcAddress);
  });

  afterAll(async () => {
    client?.close();
    health?.close();
    await service?.close();
    await downstream?.stop();
  });

  describe('health', () => {
    it('answers SERVING over grpc.health.v1 for the whole server and for its API', async () => {
      expect(await health.check('')).toBe('SERVING');
      expect(await health.check(PRODUCT_SERVICE)).toBe('SERVING');
      const unknown = await failure(health.check('mercato.nope.v1.NopeService'));
      expect(unknown.code).toBe(status.NOT_FOUND);
    });

    it('reports ready over HTTP with the database check passing, and live', async () => {
      const ready = await fetch(`${service.httpAddress}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { database: { status: 'pass', critical: true } },
      });
      expect((await fetch(`${service.httpAddress}/health/live`)).status).toBe(200);
      expect((await fetch(`${service.httpAddress}/health/startup`)).status).toBe(200);
    });
  });

  it('serves its handlers with the schema its migrations created', async () => {
    const { product } = await client.getProduct({ id: LAMP.id });
    expect(product).toMatchObject({
      id: LAMP.id,
      name: LAMP.name,
      price: { amountMinor: LAMP.priceMinor, currency: LAMP.currency },
    });
  });

  describe('errors a handler throws', () => {
    it('keep the code, message and field details of a GrpcError', async () => {
      const missing = await failure(client.getProduct({ id: 'prd_unknown' }));
      expect(missing.code).toBe(status.NOT_FOUND);
      expect(missing.details).toBe('product prd_unknown does not exist');

      const invalid = await failure(client.getProduct({ id: '' }));
      expect(invalid.code).toBe(status.INVALID_ARGUMENT);
      expect(fieldViolationsOf(invalid)).toEqual([
        { field: 'id', description: 'must not be empty' },
      ]);
    });

    it('become INTERNAL without their message when unexpected; the stack goes to the log', async () => {
      const crash = await failure(
        client.getProduct({ id: CRASHING_ID }, { metadata: correlation('req-crash') }),
      );
      expect(crash.code).toBe(status.INTERNAL);
      expect(crash.details).toBe('internal error');
      expect(JSON.stringify(crash.metadata.getMap())).not.toContain('db.internal');

      const logged = logs.records().find((line) => line.msg === 'unhandled error in gRPC handler');
      expect(logged).toMatchObject({
        level: 'error',
        requestId: 'req-crash',
        err: { message: CRASH_MESSAGE },
      });
      expect((logged?.err as { stack?: string }).stack).toContain('getProduct');
    });

    it('stay UNAVAILABLE when a downstream call was unavailable, so the caller may retry', async () => {
      const unavailable = await failure(client.getProduct({ id: 'remote_unavailable' }));
      expect(unavailable.code).toBe(status.UNAVAILABLE);
      expect(unavailable.details).toBe('a dependency is unavailable: catalog replica overloaded');
    });

    it('become INTERNAL when a downstream call failed for good, without the downstream message', async () => {
      const missing = await failure(client.getProduct({ id: 'remote_missing' }));
      expect(missing.code).toBe(status.INTERNAL);
      expect(missing.details).toBe('internal error');
    });
  });

  describe('correlation', () => {
    it('puts the caller’s request id and trace id on every line the handler logs', async () => {
      await client.getProduct({ id: LAMP.id }, { metadata: correlation('abc', TRACEPARENT) });
      const lines = logs.records().filter((line) => line.requestId === 'abc');
      expect(lines).toEqual([
        expect.objectContaining({
          msg: 'GetProduct called',
          trace_id: TRACE_ID,
          span_id: '00f067aa0ba902b7',
        }),
      ]);
    });

    it('forwards the request id and traceparent on the calls a handler makes', async () => {
      const before = downstream.received.length;
      const { product } = await client.getProduct(
        { id: 'remote_lamp' },
        { metadata: correlation('abc-forwarded', TRACEPARENT) },
      );
      expect(product?.name).toBe('Remote Product');
      const [seen] = downstream.received.slice(before);
      expect(seen?.get('x-request-id')).toEqual(['abc-forwarded']);
      expect(seen?.get('traceparent')).toEqual([TRACEPARENT]);
    });

    it('gives a call without a request id one of its own and ignores a malformed traceparent', async () => {
      const metadata = new Metadata();
      metadata.set('traceparent', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`);
      await client.getProduct({ id: 'remote_anonymous' }, { metadata });
      const [line] = handlerLines(logs, 'remote_anonymous');
      expect(line?.requestId).toMatch(UUID);
      expect(line).not.toHaveProperty('trace_id');
      expect(downstream.received.at(-1)?.get('x-request-id')).toEqual([line?.requestId]);
      expect(downstream.received.at(-1)?.get('traceparent')).toEqual([]);
    });
  });

  describe('metrics', () => {
    it('counts calls by method and status under the service label, in a format promtool accepts', async () => {
      const labels = {
        grpc_service: PRODUCT_SERVICE,
        grpc_method: 'GetProduct',
        service: FIXTURE_SERVICE,
      };
      const scrape = async () => (await fetch(`${service.httpAddress}/metrics`)).text();
      const before = await scrape();

      await client.getProduct({ id: LAMP.id });
      await failure(client.getProduct({ id: 'prd_unknown' }));

      const response = await fetch(`${service.httpAddress}/metrics`);
      expect(response.status).toBe(200);
      const after = await response.text();
      for (const code of ['OK', 'NOT_FOUND']) {
        const handled = { ...labels, grpc_type: 'unary', grpc_code: code };
        expect(sampleValue(after, 'grpc_server_handled_total', handled)).toBe(
          sampleValue(before, 'grpc_server_handled_total', handled) + 1,
        );
      }
      const lint = await promtoolCheckMetrics(after);
      expect(lint).toEqual({ exitCode: 0, output: '' });
    });
  });

  describe('close()', () => {
    it('turns NOT_SERVING as soon as it begins, stops the servers before the database, and frees both ports', async () => {
      const watch = health.watch('');
      expect(await watch.firstStatus).toBe('SERVING');

      await service.close();

      expect(await watch.statuses).toEqual(['SERVING', 'NOT_SERVING']);
      const closers = logs
        .records()
        .filter((line) => line.msg === `Closed ${String(line.closer)}`)
        .map((line) => line.closer);
      expect(closers).toEqual(['memory reducer', 'grpc server', 'application', 'tracing']);
      expect(await connectionRefused('127.0.0.1', portOf(service.grpcAddress))).toBe(true);
      expect(await connectionRefused('127.0.0.1', portOf(service.httpAddress))).toBe(true);
    });
  });
});

describe('a service that is draining', () => {
  let service: RunningGrpcService;
  let health: HealthProbe;

  beforeAll(async () => {
    service = await startBareService({
      logger: createLogger({ service: FIXTURE_SERVICE, level: 'silent' }),
      env: { SERVICE_NAME: 'fixture-replica' },
    });
    health = new HealthProbe(service.grpcAddress);
  });

  afterAll(async () => {
    health?.close();
    await service?.close();
  });

  it('answers NOT_SERVING and 503 on /health/ready, while liveness stays green', async () => {
    expect(await health.check(PRODUCT_SERVICE)).toBe('SERVING');
    service.health.markDraining();

    expect(await health.check('')).toBe('NOT_SERVING');
    expect(await health.check(PRODUCT_SERVICE)).toBe('NOT_SERVING');
    const ready = await fetch(`${service.httpAddress}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect((await fetch(`${service.httpAddress}/health/live`)).status).toBe(200);
  });

  it('names itself by SERVICE_NAME in its metrics', async () => {
    const exposition = await (await fetch(`${service.httpAddress}/metrics`)).text();
    expect(exposition).toContain('service="fixture-replica"');
    expect(exposition).not.toContain(`service="${FIXTURE_SERVICE}"`);
  });
});

describe('a start-up that fails', () => {
  let downstream: Awaited<ReturnType<typeof startDownstreamCatalog>>;
  let occupied: NetServer;

  beforeAll(async () => {
    downstream = await startDownstreamCatalog();
    occupied = createServer().listen(0, '127.0.0.1');
    await once(occupied, 'listening');
  });

  afterAll(async () => {
    occupied?.close();
    await downstream?.stop();
  });

  const silent = () => createLogger({ service: FIXTURE_SERVICE, level: 'silent' });

  it('rejects with the error of a migration that cannot be applied', async () => {
    await expect(
      startFixtureService({
        downstreamAddress: downstream.address,
        logger: silent(),
        migrationsDir: fileURLToPath(new URL('fixtures/broken-migrations', import.meta.url)),
      }),
    ).rejects.toThrow(/syntax error/);
  });

  it('rejects when the HTTP port is taken, logs why, and releases the gRPC port it had bound', async () => {
    const grpcPort = await freePort('127.0.0.1');
    const httpPort = (occupied.address() as AddressInfo).port;
    const logs = new MemoryDestination();
    await expect(
      startBareService({
        logger: createLogger({ service: FIXTURE_SERVICE, level: 'error', destination: logs }),
        env: { GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort) },
      }),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(await connectionRefused('127.0.0.1', grpcPort)).toBe(true);
    // The log line a crash-looping pod leaves: why it did not start, as structured as the rest.
    expect(logs.records()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'start-up failed; closing what had started',
        err: expect.objectContaining({ message: expect.stringContaining('EADDRINUSE') }),
      }),
    );
  });
});
