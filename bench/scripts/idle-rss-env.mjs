// Idle RSS of every service with and without extra environment variables, taking turns.
//   node bench/scripts/idle-rss-env.mjs ROUNDS NAME=VALUE [NAME=VALUE ...]   # after pnpm build
// Launches the shop as the bench does (four services as processes, a PostgreSQL server, one Kafka
// broker) 2 × ROUNDS times — without the variables, then with them, and so on — waits 15 s after
// it is ready (the bench's full idle settle; D46's reducer has acted by then), and reads each
// service's RSS and its anonymous and file-backed parts from /proc/<pid>/smaps_rollup. Prints
// one RESULT line of JSON per launch and the median of each side. Not part of `pnpm bench`.
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname;
const { launchShop } = await import(`${root}/tools/shop/dist/index.js`);
const { acquireKafka, acquirePostgres } = await import(`${root}/tools/harness/dist/index.js`);
const rounds = Number(process.argv[2] ?? 2);
const extra = Object.fromEntries(process.argv.slice(3).map((pair) => pair.split(/=(.*)/s, 2)));
const kafka = await acquireKafka({});
const pg = await acquirePostgres({});
const mib = (kb) => Math.round(kb / 102.4) / 10;
async function rollup(pid) {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return {
    rss: mib(field('Rss')),
    anon: mib(field('Anonymous')),
    file: mib(field('Rss') - field('Anonymous')),
  };
}
const results = { without: [], with: [] };
for (let launch = 0; launch < 2 * rounds; launch++) {
  const side = launch % 2 === 0 ? 'without' : 'with';
  const env = side === 'with' ? extra : {};
  const tag = `${launch}-${Math.random().toString(36).slice(2, 8)}`;
  const shop = await launchShop({
    dataDir: await mkdtemp(join(tmpdir(), 'mercato-rss-')),
    databaseUrls: {
      product: await pg.createDatabase(`rss_product`),
      order: await pg.createDatabase(`rss_order`),
      payment: await pg.createDatabase(`rss_payment`),
    },
    kafkaBrokers: kafka.brokers.join(','),
    kafkaNamespace: `rss-${tag}.`,
    logLevel: 'info',
    env: { gateway: env, product: env, order: env, payment: env },
  });
  try {
    await sleep(15_000);
    const services = {};
    for (const instance of shop.instances) services[instance.name] = await rollup(instance.pid);
    results[side].push(services);
    console.log(`RESULT ${JSON.stringify({ side, env, services })}`);
  } finally {
    await shop.stop();
  }
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle)
    ? (sorted[middle - 1] + sorted[middle]) / 2
    : sorted[Math.floor(middle)];
};
for (const side of ['without', 'with']) {
  const names = Object.keys(results[side][0] ?? {});
  const line = names.map(
    (name) => `${name} ${median(results[side].map((run) => run[name].rss))} MiB`,
  );
  console.log(
    `${side.padEnd(7)} ${JSON.stringify(side === 'with' ? extra : {})}: ${line.join(', ')}`,
  );
}
await pg.release();
await kafka.release();
