// What the ad-hoc scripts beside the bench share: the shop of a checkout launched as the bench
// launches it (four services as processes, a PostgreSQL server and one Kafka broker from the
// harness), and order journeys driven against it. Not a script of its own.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The checkout whose built code the scripts run: ROOT, else the one holding this file. */
export const root =
  process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * Launches the shop of `root` on databases and a topic namespace of its own, `prefix` naming them,
 * with rate limits out of the way and stock for any number of orders. `env` adds variables per
 * service. `stop()` stops the shop and releases the broker and the server.
 */
export async function launchScriptShop(prefix, env = {}) {
  const { launchShop } = await import(`${root}/tools/shop/dist/index.js`);
  const { acquireKafka, acquirePostgres } = await import(`${root}/tools/harness/dist/index.js`);
  const kafka = await acquireKafka({});
  const postgres = await acquirePostgres({});
  const databaseUrls = {
    product: await postgres.createDatabase(`${prefix}_product`),
    order: await postgres.createDatabase(`${prefix}_order`),
    payment: await postgres.createDatabase(`${prefix}_payment`),
  };
  const shop = await launchShop({
    dataDir: await mkdtemp(join(tmpdir(), `mercato-${prefix}-`)),
    databaseUrls,
    kafkaBrokers: kafka.brokers.join(','),
    kafkaNamespace: `${prefix}-${Math.random().toString(36).slice(2, 8)}.`,
    logLevel: 'info',
    env: {
      ...env,
      gateway: { RATE_LIMIT_MAX: '1000000000', ...env.gateway },
      product: { SEED_STOCK: '1000000', ...env.product },
    },
  });
  return {
    shop,
    postgres,
    databaseUrls,
    async stop() {
      await shop.stop();
      await kafka.release?.();
      await postgres.release?.();
    },
  };
}

/**
 * Order journeys (browse, order, pay with a card that succeeds, wait for the outcome) at `rate`
 * per second for `seconds`; `onOrderSettled` is called as each settles. Resolves to the load
 * generator's summary.
 */
export async function orderJourneys(shop, { rate, seconds, shoppers, onOrderSettled }) {
  const { runLoad } = await import(`${root}/tools/loadgen/dist/index.js`);
  return runLoad({
    baseUrl: shop.gatewayUrl,
    ratePerSecond: rate,
    durationMs: seconds * 1000,
    mix: { order: 1 },
    paymentTokens: { tok_success: 1 },
    shoppers,
    maxConcurrentJourneys: 256,
    pollIntervalMs: 100,
    maxPollIntervalMs: 1000,
    onOrderSettled,
  });
}
