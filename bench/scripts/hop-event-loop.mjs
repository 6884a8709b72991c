// Where the tail of one gRPC hop comes from: the shop as the bench launches it, the gateway with
// CATALOG_CACHE=false (every product read crosses gRPC to the product service and its PostgreSQL),
// GET /api/v1/products/{id} at RATE req/s, open loop, for 16 s after 2 s of warm-up; the gateway
// and the product service run event-loop-preload.mjs, so their event-loop stalls and GC pauses per
// 2 s window land in $ELD_DIR (default /tmp/eld). Run from the repository root after pnpm build:
//   node bench/scripts/hop-event-loop.mjs 400
// Prints the request latency (REQ) and each process's windows during the run. With HEAP_SAMPLE=1
// the product service also samples what it promotes during the load (heap-sample-preload.mjs; read
// the profile with heap-top.mjs). Ad hoc, beside the bench; not part of `pnpm bench`.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { launchShop } = await import(`${root}tools/shop/dist/index.js`);
const { acquireKafka, acquirePostgres } = await import(`${root}tools/harness/dist/index.js`);
const { measureAtRate } = await import(`${root}bench/dist/http-load.js`);
const rate = Number(process.argv[2] ?? 400);
const directory = process.env.ELD_DIR ?? '/tmp/eld';
rmSync(directory, { recursive: true, force: true });

const kafka = await acquireKafka({});
const postgres = await acquirePostgres({});
const preload = `--import=${fileURLToPath(new URL('./event-loop-preload.mjs', import.meta.url))}`;
const shop = await launchShop({
  dataDir: await mkdtemp(join(tmpdir(), 'mercato-hop-')),
  databaseUrls: {
    product: await postgres.createDatabase('hop_product'),
    order: await postgres.createDatabase('hop_order'),
    payment: await postgres.createDatabase('hop_payment'),
  },
  kafkaBrokers: kafka.brokers.join(','),
  kafkaNamespace: `hop-${Math.random().toString(36).slice(2, 8)}.`,
  logLevel: 'info',
  env: {
    gateway: { RATE_LIMIT_MAX: '1000000000', CATALOG_CACHE: 'false', NODE_OPTIONS: preload },
    product: {
      NODE_OPTIONS:
        process.env.HEAP_SAMPLE === '1'
          ? `${preload} --import=${fileURLToPath(new URL('./heap-sample-preload.mjs', import.meta.url))}`
          : preload,
    },
  },
});
/** `process_memory_reductions_total` of each service. */
async function reductions() {
  const counts = {};
  for (const instance of shop.instances) {
    const text = await (await fetch(`${instance.httpUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('process_memory_reductions_total'));
    counts[instance.name] = Number(line?.split(' ').at(-1) ?? 0);
  }
  return counts;
}
try {
  const page = await (await fetch(`${shop.gatewayUrl}/api/v1/products?pageSize=1`)).json();
  await sleep(3_000);
  const before = await reductions();
  const startedAt = Date.now();
  // HEAP_SAMPLE=1: the product service samples what it promotes while the load runs.
  const product = shop.instances.find((instance) => instance.service === 'product');
  const toggleHeapSampling = () => {
    if (process.env.HEAP_SAMPLE === '1' && product?.pid) process.kill(product.pid, 'SIGUSR2');
  };
  toggleHeapSampling();
  const result = await measureAtRate(`${shop.gatewayUrl}/api/v1/products/${page.products[0].id}`, {
    ratePerSecond: rate,
    warmupSeconds: 2,
    durationSeconds: 16,
    connections: 32,
  });
  toggleHeapSampling();
  const { p50, p90, p99, max } = result.latencyMs;
  console.log(
    `REQ ${rate} req/s: p50 ${p50.toFixed(2)}, p90 ${p90.toFixed(2)}, p99 ${p99.toFixed(2)}, max ${max.toFixed(2)} ms; sent late p99 ${result.sendLagMs.p99.toFixed(2)} ms`,
  );
  for (const file of readdirSync(directory)) {
    const windows = readFileSync(join(directory, file), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((window) => window.at > startedAt + 2_000);
    console.log(`${windows[0]?.script ?? file}:`);
    console.log(
      `  event loop max per window ms: ${windows.map((w) => w.maxMs.toFixed(1)).join(', ')}`,
    );
    console.log(
      `  longest GC pause per window ms: ${windows.map((w) => `${w.gc.longestMs.toFixed(1)} ${w.gc.longestKind}`).join(', ')}`,
    );
    console.log(
      `  GC time per window ms: ${windows.map((w) => w.gc.totalMs.toFixed(1)).join(', ')}`,
    );
    const byKind = {};
    for (const w of windows)
      for (const [kind, ms] of Object.entries(w.gc.byKindMs))
        byKind[kind] = (byKind[kind] ?? 0) + ms;
    console.log(
      `  GC time by kind over the run ms: ${Object.entries(byKind)
        .map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`)
        .join(', ')}`,
    );
    console.log(
      `  event-loop utilization per window %: ${windows.map((w) => (100 * w.elu).toFixed(1)).join(', ')}`,
    );
  }
  // The memory reducer (D46) holds the event loop while it collects: did it run during the load?
  const after = await reductions();
  for (const [name, count] of Object.entries(after))
    console.log(`${name}: memory reductions during the load ${count - (before[name] ?? 0)}`);
} finally {
  await shop.stop();
  await kafka.release?.();
  await postgres.release?.();
}
