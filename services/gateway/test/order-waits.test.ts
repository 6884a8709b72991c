import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readSample } from '@mercato/metrics';
import type { RunningGrpcService } from '@mercato/service-kit';
import { createServer, type Gateway } from '../src/server.js';
import {
  eventually,
  gatewayConfig,
  newShopEnvironment,
  startShopProduct,
  type ShopEnvironment,
} from './support/shop.js';
import { startShopOrder, startShopPayment } from '@mercato/payment-service/testing';

interface ApiOrder {
  id: string;
  status: string;
}

// GET /orders/{id} with `Prefer: wait=N`, against the real product, order and payment services and
// a real broker: the gateway's orders feed wakes the waiting read when the saga settles the order.
// The payment service starts only in the middle of the file, so orders stay pending until then.
describe('order reads that wait for the payment outcome (Prefer: wait)', () => {
  let env: ShopEnvironment;
  let product: RunningGrpcService;
  let order: RunningGrpcService;
  let payment: RunningGrpcService | undefined;
  let gateway: Gateway;
  let server: Server;
  let base: string;
  let token: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
  const place = async () => {
    const { products } = (await (await api('/products?pageSize=1')).json()) as {
      products: { id: string }[];
    };
    const response = await api('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({
        lines: [{ productId: products[0]!.id, quantity: 1 }],
        paymentToken: 'tok_success',
      }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as ApiOrder;
  };
  const waitingRead = (orderId: string, prefer: string, signal?: AbortSignal) =>
    api(`/orders/${orderId}`, { headers: { prefer }, ...(signal ? { signal } : {}) });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    readSample(await (await fetch(`${base}/metrics`)).text(), name, labels);
  const waiting = () => metric('gateway_order_waits');
  const ended = (outcome: string) => metric('gateway_order_waits_total', { outcome });

  beforeAll(async () => {
    env = await newShopEnvironment();
    product = await startShopProduct(env);
    order = await startShopOrder(env);
    gateway = createServer({
      config: gatewayConfig(env.ports, {
        KAFKA_BROKERS: env.brokers,
        KAFKA_NAMESPACE: env.namespace,
      }),
    });
    gateway.start();
    server = createHttpServer(gateway.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const issued = await fetch(`${base}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'customer', customerId: 'demo-alice' }),
    });
    token = ((await issued.json()) as { accessToken: string }).accessToken;
    await eventually('the orders feed to be live', async () =>
      gateway.orderWaits?.live ? true : undefined,
    );
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await gateway?.close();
    for (const service of [payment, order, product]) await service?.close().catch(() => undefined);
  });

  it('answers at the end of the wait, still pending, when no payment outcome comes', async () => {
    const placed = await place();
    const timeouts = await ended('timeout');

    const response = await waitingRead(placed.id, 'wait=1');

    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(((await response.json()) as ApiOrder).status).toBe('PENDING_PAYMENT');
    expect(await ended('timeout')).toBe(timeouts + 1);
  });

  it('answers the waiting read when its client goes away, and the wait ends with it', async () => {
    const placed = await place();
    const cancelled = await ended('cancelled');
    const client = new AbortController();

    const read = waitingRead(placed.id, 'wait=20', client.signal).catch((error: Error) => error);
    await eventually('the read to wait', async () => ((await waiting()) === 1 ? true : undefined));
    client.abort();

    expect(((await read) as { name?: string }).name).toBe('AbortError');
    await eventually('the wait to end', async () =>
      (await ended('cancelled')) === cancelled + 1 ? true : undefined,
    );
    expect(await waiting()).toBe(0);
  });

  it('wakes the waiting read as soon as the order is paid, long before the wait is over', async () => {
    const placed = await place();
    const changed = await ended('changed');
    const startedAt = Date.now();

    const read = waitingRead(placed.id, 'wait=20');
    await eventually('the read to wait', async () => ((await waiting()) === 1 ? true : undefined));
    payment = await startShopPayment(env);
    const response = await read;

    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(((await response.json()) as ApiOrder).status).toBe('PAID');
    expect(await ended('changed')).toBe(changed + 1);
    // Woken by the order.paid event, not by the end of the 20 s wait.
    expect(Date.now() - startedAt).toBeLessThan(15_000);
  });

  it('answers a settled order at once, and caps the wait it applies at 20 s', async () => {
    const placed = await place();
    await eventually('the order to be paid', async () => {
      const current = (await (await api(`/orders/${placed.id}`)).json()) as ApiOrder;
      return current.status === 'PAID' ? true : undefined;
    });

    const response = await waitingRead(placed.id, 'respond-async, wait=600');

    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(((await response.json()) as ApiOrder).status).toBe('PAID');
  });

  it('ignores a Prefer without a usable wait, and answers at once', async () => {
    const placed = await place();
    for (const prefer of ['respond-async', 'wait=0', 'wait=soon']) {
      const response = await waitingRead(placed.id, prefer);
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBeNull();
    }
  });

  it('answers every waiting read at once when the gateway shuts down', async () => {
    // Placed while the payment service is away, so the order stays pending.
    await payment!.close();
    payment = undefined;
    const placed = await place();
    const notLive = await ended('not-live');

    const read = waitingRead(placed.id, 'wait=20');
    await eventually('the read to wait', async () => ((await waiting()) === 1 ? true : undefined));
    gateway.endWaits();
    const response = await read;

    expect(((await response.json()) as ApiOrder).status).toBe('PENDING_PAYMENT');
    expect(await ended('not-live')).toBe(notLive + 1);
    // And no read waits any more.
    const after = await waitingRead(placed.id, 'wait=5');
    expect(after.headers.get('preference-applied')).toBeNull();
  });
});
