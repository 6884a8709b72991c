// PostgreSQL statements per checkout, by database and statement: an ad-hoc tool beside the bench.
//   node bench/scripts/statements-per-order.mjs [ORDERS]   # after pnpm build
// Launches the shop as the bench does (four services, a PostgreSQL server, one Kafka broker), lets it
// settle, turns on `log_statement = 'all'` (ALTER SYSTEM + reload, so the pools' open sessions log
// too), places ORDERS order journeys (default 40) at 4/s, waits until each is settled and 3 s more,
// turns logging off again and counts the logged statements of the shop's three databases in the
// server's log: one line per statement kind with its count per order.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchScriptShop, orderJourneys, root } from './script-shop.mjs';
// pg as the harness has it (the bench does not depend on it).
const pg = createRequire(`${root}/tools/harness/package.json`)('pg');
const orders = Number(process.argv[2] ?? 40);
const { shop, postgres: server, databaseUrls, stop } = await launchScriptShop('stm');
const dbNames = Object.fromEntries(
  Object.entries(databaseUrls).map(([service, url]) => [new URL(url).pathname.slice(1), service]),
);
await sleep(5000);
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
const logFile = (
  await admin.query(`SELECT pg_current_logfile() AS f, current_setting('data_directory') AS d`)
).rows[0];
// The harness's server logs to postgres.log in the directory above run/data (no logging collector).
const logPath =
  process.env.PG_LOG ??
  (logFile.f ? join(logFile.d, logFile.f) : join(dirname(dirname(logFile.d)), 'postgres.log'));
const setLogging = async (on) => {
  if (on) {
    await admin.query(`ALTER SYSTEM SET log_statement = 'all'`);
    await admin.query(`ALTER SYSTEM SET log_line_prefix = '@@%d@@ '`);
  } else {
    await admin.query(`ALTER SYSTEM RESET log_statement`);
    await admin.query(`ALTER SYSTEM RESET log_line_prefix`);
  }
  await admin.query('SELECT pg_reload_conf()');
  await sleep(500);
};
const from = (await stat(logPath)).size;
await setLogging(true);
let settled = 0;
const summary = await orderJourneys(shop, {
  rate: 4,
  seconds: orders / 4,
  shoppers: 20,
  onOrderSettled: () => {
    settled += 1;
  },
});
await sleep(3000);
await setLogging(false);
const text = (await readFile(logPath)).subarray(from).toString('utf8');
const counts = new Map();
// A statement's text goes on over the lines after its first, each starting with a tab.
const entries = text.split(/\n(?!\t)/).map((entry) => entry.replace(/\n\t/g, ' '));
for (const line of entries) {
  const m = /^@@([^@]*)@@ .*?LOG:\s+(statement|execute [^:]*): (.*)$/s.exec(line);
  if (!m) continue;
  const service = dbNames[m[1]];
  if (!service) continue;
  const sql = m[3].replace(/\s+/g, ' ').trim().slice(0, 150);
  const key = `${service.padEnd(8)} ${sql}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
const placed = summary.totals.started;
console.log(
  `orders placed ${placed}, settled ${settled}; totals ${JSON.stringify(summary.totals)}`,
);
const byService = {};
for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1])) {
  const service = key.slice(0, 8).trim();
  byService[service] = (byService[service] ?? 0) + n;
  console.log(`${(n / placed).toFixed(2).padStart(6)}  ${key}`);
}
console.log(
  'per order: ' +
    JSON.stringify(
      Object.fromEntries(Object.entries(byService).map(([s, n]) => [s, +(n / placed).toFixed(2)])),
    ),
);
await admin.end();
await stop();
