import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type RunningGateway } from '@mercato/gateway-service';
import { testGatewayConfig } from '@mercato/gateway-service/testing';
import { eventually } from '@mercato/harness';
import { startShop, type Shop } from '@mercato/payment-service/testing';
import { runCli, runLoad, type LoadSummary, type SettledOrder } from '../src/index.js';

interface ApiOrder {
  id: string;
  status: string;
}

/** A deterministic source of randomness, so each run picks the same journeys and products. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

/** Every invariant a summary keeps whatever happened during the run. */
function expectConsistent(summary: LoadSummary): void {
  const kinds = Object.values(summary.journeys);
  for (const outcome of ['started', 'completed', 'failed', 'aborted'] as const)
    expect(sum(kinds.map((counts) => counts[outcome]))).toBe(summary.totals[outcome]);
  expect(summary.totals.completed + summary.totals.failed + summary.totals.aborted).toBe(
    summary.totals.started,
  );
  const { requests } = summary;
  expect(sum(Object.values(requests.byStatus)) + requests.timeouts + requests.networkErrors).toBe(
    requests.total,
  );
  const non2xx = Object.entries(requests.byStatus)
    .filter(([status]) => !status.startsWith('2'))
    .map(([, count]) => count);
  expect(sum(non2xx)).toBe(requests.non2xx);
  // Every response had its latency recorded under its operation.
  const { checkout: _checkout, ...operations } = summary.latency;
  expect(sum(Object.values(operations).map((stats) => stats.count))).toBe(
    sum(Object.values(requests.byStatus)),
  );
  expect(sum(Object.values(summary.orders.byStatus))).toBe(summary.orders.placed);
  expect(sum(Object.values(summary.failures))).toBe(summary.totals.failed);
}

describe('runLoad against a real gateway and shop', () => {
  let shop: Shop;
  let gateway: RunningGateway;

  const post = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  const guestToken = async () =>
    (await post<{ accessToken: string }>('/api/v1/auth/token', { kind: 'guest' })).accessToken;

  /** All orders of a customer, read through the public API page by page. */
  const ordersOf = async (token: string): Promise<ApiOrder[]> => {
    const orders: ApiOrder[] = [];
    let pageToken: string | null = null;
    do {
      const query: string = pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : '';
      const response = await fetch(`${gateway.url}/api/v1/orders?pageSize=100${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { orders: ApiOrder[]; nextPageToken: string | null };
      orders.push(...page.orders);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return orders;
  };

  beforeAll(async () => {
    shop = await startShop(undefined, { seedCatalog: true });
    gateway = await startGateway(
      testGatewayConfig({
        product: shop.product.grpcAddress,
        order: shop.order.grpcAddress,
        payment: shop.payment.grpcAddress,
      }),
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await shop?.stop();
  });

  it('runs every journey kind and counts exactly the orders the API shows, all settled', async () => {
    const tokens = await Promise.all([guestToken(), guestToken(), guestToken()]);
    const settled: SettledOrder[] = [];
    const progress: number[] = [];
    const summary = await runLoad({
      baseUrl: gateway.url,
      ratePerSecond: 15,
      // A journey count, not a duration: how many journeys fit in 3 s depends on timer jitter.
      journeys: 45,
      mix: { browse: 2, view: 2, order: 3, poll: 1 },
      paymentTokens: { tok_success: 2, tok_declined: 1 },
      accessTokens: tokens,
      progressIntervalMs: 500,
      onProgress: (snapshot) => progress.push(snapshot.journeysStarted),
      onOrderSettled: (order) => settled.push(order),
      random: seededRandom(7),
    });

    expectConsistent(summary);
    expect(summary.stoppedBy).toBe('journeys');
    expect(summary.totals).toEqual({
      started: 45,
      completed: 45,
      failed: 0,
      aborted: 0,
      dropped: 0,
    });
    for (const kind of ['browse', 'view', 'order', 'poll'] as const)
      expect(summary.journeys[kind].started).toBeGreaterThan(0);
    expect(summary.requests.non2xx).toBe(0);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const visible = (await Promise.all(tokens.map(ordersOf))).flat();
    expect(visible).toHaveLength(summary.orders.placed);
    expect(summary.orders.placed).toBe(summary.journeys.order.started);
    const visibleByStatus: Record<string, number> = {};
    for (const order of visible)
      visibleByStatus[order.status] = (visibleByStatus[order.status] ?? 0) + 1;
    expect(visibleByStatus).toEqual(summary.orders.byStatus);
    expect(Object.keys(visibleByStatus).sort()).toEqual(['CANCELLED', 'PAID']);

    expect(settled.map((order) => order.orderId).sort()).toEqual(
      visible.map((order) => order.id).sort(),
    );
    for (const order of settled) {
      expect(order.status).toBe(order.paymentToken === 'tok_declined' ? 'CANCELLED' : 'PAID');
      expect(order.observedAt).toBeGreaterThanOrEqual(order.placedAt);
    }
    expect(summary.latency.checkout?.count).toBe(settled.length);
  });

  it('polls a pending order with backoff when the gateway cannot wait for its payment', async () => {
    // This gateway has no Kafka, so no orders feed: it answers without Preference-Applied.
    const summary = await runLoad({
      baseUrl: gateway.url,
      ratePerSecond: 10,
      journeys: 5,
      mix: { order: 1 },
      shoppers: 2,
      random: seededRandom(3),
    });
    expect(summary.totals.completed).toBe(5);
    // One read asked to wait per order, then plain polls until it settled.
    expect(summary.latency.awaitOrder?.count).toBe(5);
    expect(summary.latency.checkout?.count).toBe(5);
  });

  it('reads each order once, waiting for its payment, from a gateway that can wait', async () => {
    const waiting = await startGateway(
      testGatewayConfig(
        {
          product: shop.product.grpcAddress,
          order: shop.order.grpcAddress,
          payment: shop.payment.grpcAddress,
        },
        { KAFKA_BROKERS: shop.env.brokers, KAFKA_NAMESPACE: shop.env.namespace },
      ),
    );
    try {
      await eventually(() => expect(waiting.orderWaits?.live).toBe(true), { timeoutMs: 20_000 });
      const summary = await runLoad({
        baseUrl: waiting.url,
        ratePerSecond: 10,
        journeys: 8,
        mix: { order: 1 },
        shoppers: 2,
        random: seededRandom(5),
      });
      expect(summary.totals.completed).toBe(8);
      expect(summary.orders.byStatus).toEqual({ PAID: 8 });
      // The gateway answered each first read when the order was paid: no read needed repeating.
      expect(summary.latency.awaitOrder?.count).toBe(8);
      expect(summary.latency.getOrder).toBeUndefined();
    } finally {
      await waiting.stop();
    }
  });

  it('stops at once on its signal and reports what ran', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1_500);
    const summary = await runLoad({
      baseUrl: gateway.url,
      ratePerSecond: 20,
      durationMs: 60_000,
      mix: { browse: 1, order: 1 },
      signal: stop.signal,
      shoppers: 4,
      random: seededRandom(11),
    });
    expectConsistent(summary);
    expect(summary.stoppedBy).toBe('signal');
    expect(summary.totals.started).toBeGreaterThan(0);
    expect(summary.totals.started).toBeLessThan(60 * 20);
    expect(summary.totals.failed).toBe(0);
  });

  it('prints a summary table from the command line', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      ['--url', gateway.url, '--rate', '20', '--journeys', '10', '--mix', 'view=1,poll=1'],
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text), isTTY: false },
      },
    );
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/stopped by journeys/);
    expect(stdout).toMatch(/^total\s+10\s+10\s+0\s+0$/m);
    expect(stdout).toMatch(/^getProduct\s+\d+/m);
    expect(stdout).toMatch(/non-2xx 0/);
  });
});

describe('runLoad without a gateway', () => {
  it('counts refused connections as failed journeys instead of throwing', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const summary = await runLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      ratePerSecond: 50,
      journeys: 5,
      shoppers: 1,
    });
    expectConsistent(summary);
    expect(summary.totals).toMatchObject({ started: 5, completed: 0, failed: 5 });
    expect(summary.requests.networkErrors).toBe(summary.requests.total);
    expect(summary.failures).toEqual({ 'createToken: network-error': 5 });
  });

  it('rejects invalid options before sending anything', async () => {
    await expect(runLoad({ baseUrl: 'http://127.0.0.1:1', ratePerSecond: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      runLoad({ baseUrl: 'http://127.0.0.1:1', ratePerSecond: 1, mix: { browse: 0 } }),
    ).rejects.toThrow(/positive/);
  });

  it('explains bad command-line arguments with exit code 2', async () => {
    let stderr = '';
    const code = await runCli(['--mix', 'shop=1'], {
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown journey "shop"/);
    expect(stderr).toMatch(/Usage: mercato-loadgen/);
  });

  it('explains options that runLoad rejects with exit code 2', async () => {
    let stderr = '';
    const code = await runCli(['--', '--rate', '0'], {
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/ratePerSecond must be a positive number/);
  });
});
