import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OrderServiceClient } from '@mercato/contracts/order';
import { createDatabase } from '@mercato/db';
import { createClient } from '@mercato/grpc';
import { acquireKafka, kafkaStatus, type KafkaLease } from '@mercato/harness';
import { TEST_CARD_TOKENS } from '@mercato/contracts/demo';
import type { RunningGrpcService } from '@mercato/service-kit';
import {
  addProduct,
  databaseOf,
  eventually,
  newShopEnvironment,
  orderEnv,
  startShop,
  startShopOrder,
  startShopPayment,
  startShopProduct,
  stockOf,
  type Shop,
} from './support/shop.js';

async function count(shop: Shop, db: 'order' | 'payment', sql: string): Promise<number> {
  const { rows } = await shop.db[db].query<{ n: number }>(sql);
  return Number(rows[0]!.n);
}

describe('chaos: broker outage while orders are placed', () => {
  let stateDir: string;
  let broker: KafkaLease;
  let shop: Shop;

  beforeAll(async () => {
    // A private broker: freezing it must not disturb suites that share the main test broker.
    stateDir = await mkdtemp(join(tmpdir(), 'mercato-chaos-kafka-'));
    broker = await acquireKafka({ stateDir, externalBrokers: [] });
    shop = await startShop(await newShopEnvironment(broker.brokers.join(',')));
    await addProduct(shop.db.product, 'prd_lamp', 1000, 4500);
  }, 120_000);

  afterAll(async () => {
    await shop?.stop();
    await broker?.release();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('loses no order and charges nobody twice when the broker stops for 20 s', async () => {
    const status = await kafkaStatus({ stateDir });
    const pid = status!.instance.pid;
    const tokens = (index: number) =>
      index % 5 === 0 ? TEST_CARD_TOKENS.declined : TEST_CARD_TOKENS.success;
    const placed: string[] = [];
    const place = async (index: number) => {
      const { order } = await shop.orders.createOrder({
        customerId: `cus_chaos_${index}`,
        lines: [{ productId: 'prd_lamp', quantity: 1 + (index % 3) }],
        idempotencyKey: `chaos-${index}`,
        paymentToken: tokens(index),
      });
      placed.push(order!.id);
    };

    for (let index = 0; index < 40; index += 1) await place(index);
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      for (let index = 40; index < 200; index += 1) await place(index);
      await delay(Math.max(0, 20_000 - (Date.now() - stoppedAt)));
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    expect(placed).toHaveLength(200);
    await eventually(
      'every order to settle after the outage',
      async () => {
        const settledCount = await count(
          shop,
          'order',
          "SELECT count(*) AS n FROM orders WHERE status IN ('PAID', 'CANCELLED')",
        );
        return settledCount === 200 ? true : undefined;
      },
      90_000,
    );
    const { rows } = await shop.db.order.query<{ status: string; n: number }>(
      'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status',
    );
    expect(rows.map((row) => [row.status, Number(row.n)])).toEqual([
      ['CANCELLED', 40],
      ['PAID', 160],
    ]);
    expect(await count(shop, 'payment', 'SELECT count(*) AS n FROM payments')).toBe(200);
    expect(
      await count(
        shop,
        'payment',
        "SELECT count(*) AS n FROM simulated_provider_ledger WHERE kind = 'charge'",
      ),
    ).toBe(200);
    expect(
      await count(shop, 'payment', "SELECT count(*) AS n FROM payments WHERE status = 'SUCCEEDED'"),
    ).toBe(160);

    // Stock conservation: what is gone from the shelf is exactly what the paid orders bought.
    const sold = await count(
      shop,
      'order',
      "SELECT coalesce(sum(l.quantity), 0) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status = 'PAID'",
    );
    await eventually('stock to settle', async () => {
      const stock = await stockOf(shop.db.product, 'prd_lamp');
      return stock.reserved === 0 ? stock : undefined;
    });
    expect(await stockOf(shop.db.product, 'prd_lamp')).toEqual({
      onHand: 1000 - sold,
      reserved: 0,
    });
  }, 180_000);
});

describe('chaos: order service killed before its outbox was relayed', () => {
  let product: RunningGrpcService | undefined;
  let payment: RunningGrpcService | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await payment?.close();
    await product?.close();
  });

  it('publishes every committed order after a restart and completes the saga', async () => {
    const env = await newShopEnvironment();
    product = await startShopProduct(env);
    payment = await startShopPayment(env);
    await addProduct(databaseOf(product), 'prd_lamp', 100, 4500);

    // The order service as a real process that never gets to relay: another session holds the
    // relay's lock (as a leader that stalled would), so its orders stay in the outbox — commits
    // wake only the leader, and this process stands by.
    const orderDb = await createDatabase({ url: env.databases.order });
    const stalledLeader = await orderDb.tryAdvisoryLock('order-service:outbox-relay');
    expect(stalledLeader).not.toBeNull();
    const main = fileURLToPath(new URL('../../order/dist/main.js', import.meta.url));
    child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ...orderEnv(env, { OUTBOX_POLL_INTERVAL: '50ms', LOG_LEVEL: 'warn' }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const orders = createClient(OrderServiceClient, {
      addresses: [`127.0.0.1:${env.ports.order}`],
      defaultDeadlineMs: 5_000,
    });
    try {
      await eventually('the order process to serve', () =>
        orders.listOrders({ customerId: 'nobody', pageSize: 1, pageToken: '' }).then(
          () => true,
          () => undefined,
        ),
      );
      for (let index = 0; index < 10; index += 1) {
        await orders.createOrder({
          customerId: 'cus_killed',
          lines: [{ productId: 'prd_lamp', quantity: 1 }],
          idempotencyKey: `killed-${index}`,
          paymentToken: TEST_CARD_TOKENS.success,
        });
      }
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    } finally {
      orders.close();
    }

    try {
      // While it ran, standing by and trying for the lock every 50 ms, it published none of them.
      const pending = await orderDb.query<{ n: number }>(
        'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL',
      );
      expect(Number(pending.rows[0]!.n)).toBe(10);
      await stalledLeader!.release();

      const restarted = await startShopOrder(env);
      try {
        await eventually(
          'the saga to complete for every order committed before the kill',
          async () => {
            const { rows } = await orderDb.query<{ n: number }>(
              "SELECT count(*) AS n FROM orders WHERE status = 'PAID'",
            );
            return Number(rows[0]!.n) === 10 ? true : undefined;
          },
          60_000,
        );
      } finally {
        await restarted.close();
      }
    } finally {
      await orderDb.close();
    }
    const charges = await databaseOf(payment).query<{ n: number }>(
      "SELECT count(*) AS n FROM simulated_provider_ledger WHERE kind = 'charge'",
    );
    expect(Number(charges.rows[0]!.n)).toBe(10);
    const sold = await eventually('the sales to be committed', async () => {
      const stock = await stockOf(databaseOf(product!), 'prd_lamp');
      return stock.reserved === 0 ? stock : undefined;
    });
    expect(sold).toEqual({ onHand: 90, reserved: 0 });
  }, 120_000);
});
