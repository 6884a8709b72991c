import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiProduct, ShopApi } from '@mercato/shop/testing';
import { PrivateBroker } from './support/broker.js';
import { describeUnsettled } from './support/diagnosis.js';
import { type LoadReport, SteadyLoad } from './support/load.js';
import { queryDatabase, startTestShop, type TestShop } from './support/shop.js';

const ORDERS_PER_SECOND = 5;
const RECOVERY_DEADLINE_MS = 60_000;
const TOKENS = ['tok_success', 'tok_success', 'tok_success', 'tok_declined'];
const paymentToken = (n: number) => TOKENS[n % TOKENS.length]!;

describe('chaos: faults under steady load, two replicas of every service', () => {
  let broker: PrivateBroker;
  let test: TestShop;
  let customers: ShopApi[];
  let products: ApiProduct[];
  /** Gateways answering /health/ready, as a load balancer's endpoint list would have them. */
  let inRotation: string[] = [];
  let watching = true;
  let watcher: Promise<void>;

  beforeAll(async () => {
    broker = await PrivateBroker.start();
    test = await startTestShop({
      kafkaBrokers: broker.brokers,
      replicas: { product: 2, order: 2, payment: 2, gateway: 2 },
      // A stopping gateway fails readiness for a second before it closes, so the balancer moves away.
      env: { gateway: { SHUTDOWN_DRAIN_DELAY: '1s' } },
    });
    const gateways = test.shop.instancesOf('gateway').map((gateway) => gateway.httpUrl);
    inRotation = [...gateways];
    watcher = (async () => {
      while (watching) {
        const ready = await Promise.all(
          gateways.map((url) =>
            fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(500) })
              .then((response) => response.status === 200)
              .catch(() => false),
          ),
        );
        inRotation = gateways.filter((_, index) => ready[index]);
        await sleep(100);
      }
    })();
    customers = await Promise.all(
      ['demo-alice', 'demo-bob', 'demo-carol'].map((id) => ShopApi.signIn(gateways[0]!, id)),
    );
    products = (await customers[0]!.allProducts()).filter(
      (product) => product.stockAvailable >= 60,
    );
  }, 300_000);

  afterAll(async () => {
    watching = false;
    await watcher;
    await test?.shop.stop();
    await broker?.stop();
  }, 120_000);

  const steadyLoad = () =>
    new SteadyLoad({
      gateways: () => (inRotation.length > 0 ? inRotation : ['http://127.0.0.1:9']),
      customers,
      products,
      ordersPerSecond: ORDERS_PER_SECOND,
      paymentToken,
    });

  /** Every accepted order terminal (PAID if its token succeeds) within the deadline; charged once. */
  async function expectSettled(
    scenario: string,
    load: SteadyLoad,
    report: LoadReport,
    recoveredAt: number,
  ) {
    expect(report.abandoned).toBe(0);
    expect(report.orders.length).toBeGreaterThan(0);
    const deadline = recoveredAt + RECOVERY_DEADLINE_MS;
    const outcomes = await Promise.all(
      report.orders.map(async (order) => {
        const customer = order.customer.at(inRotation[0]!);
        const final = await customer.waitForTerminal(
          order.id,
          Math.max(1_000, deadline - Date.now()),
        );
        return {
          id: order.id,
          expected: order.paymentToken === 'tok_success' ? 'PAID' : 'CANCELLED',
          status: final.status,
        };
      }),
    );
    const unsettled = outcomes.filter((outcome) => outcome.status !== outcome.expected);
    if (unsettled.length > 0)
      console.log(
        `${scenario}: ${unsettled.length} orders not settled ${RECOVERY_DEADLINE_MS / 1000} s after recovery\n` +
          (await describeUnsettled(
            test,
            unsettled.map((outcome) => outcome.id),
          )),
      );
    expect(unsettled).toEqual([]);
    const settledMs = Date.now() - recoveredAt;

    const [paid] = await queryDatabase<{ count: string }>(
      test.databases.order,
      "SELECT count(*) FROM orders WHERE status = 'PAID'",
    );
    // The provider's ledger is where money moves: one succeeded charge per PAID order, no more.
    const [charges] = await queryDatabase<{ count: string }>(
      test.databases.payment,
      "SELECT count(*) FROM simulated_provider_ledger WHERE kind = 'charge' AND outcome = 'succeeded'",
    );
    expect(Number(charges!.count)).toBe(Number(paid!.count));
    // The figures the note quotes: what customers saw and how long the shop took to settle.
    console.log(
      `${scenario}: ${report.orders.length} orders accepted, HTTP ${JSON.stringify(report.statuses)}, ` +
        `${report.networkErrors} network errors, ${report.retries} retried POSTs (${load.failures} failed answers), ` +
        `all terminal ${(settledMs / 1000).toFixed(1)} s after recovery; ${charges!.count} charges for ${paid!.count} PAID orders in total`,
    );
  }

  it('loses no order and charges none twice while the broker is stopped for 30 s mid-load', async () => {
    const load = steadyLoad();
    await sleep(5_000);
    const downtime = await broker.outage(30_000);
    const recoveredAt = Date.now();
    expect(downtime).toBeGreaterThanOrEqual(30_000);
    await sleep(5_000);
    const report = await load.stop();
    // Placing an order needs no broker (the outbox keeps the event): customers saw no error at all.
    expect({ failures: load.failures, statuses: report.statuses }).toEqual({
      failures: 0,
      statuses: expect.any(Object),
    });
    await expectSettled('broker stopped 30 s', load, report, recoveredAt);
  }, 300_000);

  it('loses no order and charges none twice when order and payment are SIGKILLed mid-load and restarted', async () => {
    const load = steadyLoad();
    await sleep(5_000);
    await Promise.all([test.shop.kill('order', 0), test.shop.kill('payment', 0)]);
    await sleep(5_000);
    await Promise.all([test.shop.start('order', 0), test.shop.start('payment', 0)]);
    const recoveredAt = Date.now();
    await sleep(5_000);
    const report = await load.stop();
    await expectSettled('order and payment SIGKILLed', load, report, recoveredAt);
  }, 300_000);

  it('answers every request with a 2xx during a rolling SIGTERM restart of each service', async () => {
    const load = steadyLoad();
    await sleep(2_000);
    for (const service of ['product', 'order', 'payment', 'gateway'] as const) {
      for (const replica of [0, 1]) {
        await test.shop.restart(service, replica);
        await sleep(1_000);
      }
    }
    const report = await load.stop();
    expect({ failures: load.failures, retries: report.retries, statuses: report.statuses }).toEqual(
      {
        failures: 0,
        retries: 0,
        statuses: expect.any(Object),
      },
    );
    await expectSettled('rolling restart', load, report, Date.now());
  }, 600_000);
});
