import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { addGrpcHealthService, Health } from '../src/index.js';
import { listenGrpc } from './support/servers.js';

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health');

interface HealthClientApi extends grpc.Client {
  Check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): grpc.ClientUnaryCall;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  List(
    request: object,
    callback: (
      error: grpc.ServiceError | null,
      response?: { statuses: Record<string, { status: string }> },
    ) => void,
  ): grpc.ClientUnaryCall;
}

const PRODUCT_SERVICE = 'mercato.product.v1.ProductService';

describe('grpc.health.v1 on a real grpc-js server', () => {
  let server: grpc.Server;
  let client: HealthClientApi;
  let health: Health;
  let databaseUp: boolean;

  beforeEach(async () => {
    databaseUp = true;
    health = new Health().registerCheck(
      'database',
      () => {
        if (!databaseUp) throw new Error('connection refused');
      },
      { timeoutMs: 200 },
    );
    server = new grpc.Server();
    addGrpcHealthService(server, health, [PRODUCT_SERVICE]);
    const address = await listenGrpc(server);
    client = new HealthClient(
      address,
      grpc.credentials.createInsecure(),
    ) as unknown as HealthClientApi;
  });

  afterEach(() => {
    client.close();
    server.forceShutdown();
  });

  const check = (service: string): Promise<string> =>
    new Promise((resolve, reject) => {
      client.Check({ service }, (error, response) =>
        error ? reject(error) : resolve(response!.status),
      );
    });

  it('answers NOT_SERVING while starting and SERVING once started, overall and per service', async () => {
    await expect(check('')).resolves.toBe('NOT_SERVING');

    health.markStarted();

    await expect(check('')).resolves.toBe('SERVING');
    await expect(check(PRODUCT_SERVICE)).resolves.toBe('SERVING');
  });

  it('answers NOT_SERVING when a critical dependency check fails', async () => {
    health.markStarted();
    databaseUp = false;

    await expect(check('')).resolves.toBe('NOT_SERVING');
    await expect(check(PRODUCT_SERVICE)).resolves.toBe('NOT_SERVING');
  });

  it('answers NOT_FOUND for a service the server does not host', async () => {
    health.markStarted();

    await expect(check('mercato.order.v1.OrderService')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('lists the overall and the named statuses', async () => {
    health.markStarted();

    const statuses = await new Promise((resolve, reject) => {
      client.List({}, (error, response) => (error ? reject(error) : resolve(response!.statuses)));
    });

    expect(statuses).toEqual({
      '': { status: 'SERVING' },
      [PRODUCT_SERVICE]: { status: 'SERVING' },
    });
  });

  it('flips Check to NOT_SERVING when draining', async () => {
    health.markStarted();
    await expect(check(PRODUCT_SERVICE)).resolves.toBe('SERVING');

    health.markDraining();

    await expect(check('')).resolves.toBe('NOT_SERVING');
    await expect(check(PRODUCT_SERVICE)).resolves.toBe('NOT_SERVING');
  });

  it('streams every change to a watcher and ends the stream on draining', async () => {
    const stream = client.Watch({ service: PRODUCT_SERVICE });
    const received: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const nextStatus = (): Promise<string> =>
      new Promise((resolve) => {
        stream.once('data', (message: { status: string }) => {
          received.push(message.status);
          resolve(message.status);
        });
      });

    await expect(nextStatus()).resolves.toBe('NOT_SERVING');
    const serving = nextStatus();
    health.markStarted();
    await expect(serving).resolves.toBe('SERVING');

    const draining = nextStatus();
    health.markDraining();
    await expect(draining).resolves.toBe('NOT_SERVING');
    await ended;
    expect(received).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
  });

  it('lets tryShutdown finish while a watcher is connected, once draining', async () => {
    health.markStarted();
    const stream = client.Watch({ service: '' });
    const ended = new Promise((resolve) => stream.on('end', resolve));
    await new Promise((resolve) => stream.once('data', resolve));
    stream.on('data', () => undefined);

    health.markDraining();
    const shutdownError = await new Promise<Error | undefined>((resolve) =>
      server.tryShutdown(resolve),
    );

    expect(shutdownError).toBeUndefined();
    await ended;
  });
});
