// What logs and metrics cost the gateway per catalog hit, in CPU time rather than in throughput.
//   ROOT=/path/to/checkout node bench/scripts/observability-cpu.mjs [RATE] [SECONDS] [TURNS]
// Starts one product service and two gateways in front of it as `pnpm bench` does for (c) and (f)
// — logs and RED metrics on in one, off in the other, the catalog cache on in both; with SPLIT=1
// two more, one with logs alone and one with metrics alone — and drives
// GET /api/v1/products/{id} at RATE req/s (default 3000, open loop, far below either gateway's
// capacity, so neither queues) for SECONDS s (default 10) at each in turn, TURNS times (default 3),
// after a warm-up turn each (PROFILE_DIR=<dir>: each gateway under `node --cpu-prof`, writing into
// <dir>/<name>/ when it stops). Each turn prints the gateway's CPU time (user + system, from
// /proc/<pid>/stat) per request, and the load generator's own. Not part of `pnpm bench`: an ad-hoc
// tool (after pnpm build in ROOT).
import { readdirSync } from 'node:fs';
import { cpuTicks, TICKS_PER_SECOND } from './proc-stat.mjs';

const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const rate = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 10);
const turns = Number(process.argv[4] ?? 3);

const { acquireKafka, acquirePostgres, reservePort } = await import(
  `${root}/tools/harness/dist/index.js`
);
const { productServiceEnv, gatewayServiceEnv } = await import(`${root}/bench/dist/benchmarks.js`);
const { startService } = await import(`${root}/bench/dist/processes.js`);
const { waitForCatalogCache } = await import(`${root}/bench/dist/profile.js`);
const { measureAtRate } = await import(`${root}/bench/dist/http-load.js`);

const toMs = (ticks) => (ticks * 1000) / TICKS_PER_SECOND;
const cpuMs = (pid) => toMs(cpuTicks(`/proc/${pid}/stat`).ticks);
/** CPU time (ms) of a process's threads, summed by thread name (the main thread as `main`). */
const threadCpuMs = (pid) => {
  const byName = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    // Undefined when the thread ended between the listing and the read.
    const thread = cpuTicks(`/proc/${pid}/task/${tid}/stat`);
    if (thread === undefined) continue;
    const name = tid === String(pid) ? 'main' : thread.name;
    byName[name] = (byName[name] ?? 0) + toMs(thread.ticks);
  }
  return byName;
};
const selfCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** The gateways compared: (c) and (f) of the bench, and with SPLIT=1 each of the two alone. */
const CONFIGS = {
  on: { LOG_LEVEL: 'info', REQUEST_METRICS: 'true' },
  off: { LOG_LEVEL: 'silent', REQUEST_METRICS: 'false' },
  ...(process.env.SPLIT === '1'
    ? {
        'logs only': { LOG_LEVEL: 'info', REQUEST_METRICS: 'false' },
        'metrics only': { LOG_LEVEL: 'silent', REQUEST_METRICS: 'true' },
      }
    : {}),
};

const kafka = await acquireKafka({});
const postgres = await acquirePostgres({});
const namespace = `obs-${Math.random().toString(36).slice(2, 8)}.`;
const ports = { grpc: await reservePort(), http: await reservePort() };
const started = [];
try {
  started.push(
    await startService(
      'product',
      '@mercato/product-service',
      productServiceEnv(ports, kafka.brokers, namespace, {
        DATABASE_URL: await postgres.createDatabase(`obs_product_${Date.now()}`),
      }),
      `http://127.0.0.1:${ports.http}/health/ready`,
    ),
  );
  const gateways = {};
  for (const [name, env] of Object.entries(CONFIGS)) {
    const port = await reservePort();
    const gateway = await startService(
      `gateway-${name}`,
      '@mercato/gateway-service',
      gatewayServiceEnv(kafka.brokers, namespace, {
        HTTP_PORT: String(port),
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${ports.grpc}`,
        ...env,
      }),
      `http://127.0.0.1:${port}/health/live`,
      90_000,
      process.env.PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}/${name.replace(' ', '-')}`]
        : [],
    );
    started.push(gateway);
    await waitForCatalogCache(`http://127.0.0.1:${port}`);
    gateways[name] = { pid: gateway.pid, url: `http://127.0.0.1:${port}` };
  }
  const page = await (await fetch(`${gateways.on.url}/api/v1/products?pageSize=1`)).json();
  const path = `/api/v1/products/${page.products[0].id}`;
  const names = Object.keys(CONFIGS);
  const results = Object.fromEntries(names.map((name) => [name, []]));
  for (let turn = 0; turn <= turns; turn += 1) {
    // Each turn in another order, so no configuration always follows the same one.
    const order = names.map((_, i) => names[(i + turn) % names.length]);
    for (const name of turn % 2 === 0 ? order : order.reverse()) {
      const { pid, url } = gateways[name];
      const before = { gateway: cpuMs(pid), self: selfCpuMs(), threads: threadCpuMs(pid) };
      const result = await measureAtRate(`${url}${path}`, {
        ratePerSecond: rate,
        warmupSeconds: 0,
        durationSeconds: seconds,
        connections: 32,
      });
      const requests = result.requestsPerSecond * result.durationSeconds;
      const gatewayUs = ((cpuMs(pid) - before.gateway) * 1000) / requests;
      const selfUs = ((selfCpuMs() - before.self) * 1000) / requests;
      const threads = Object.entries(threadCpuMs(pid))
        .map(([thread, ms]) => [thread, ((ms - (before.threads[thread] ?? 0)) * 1000) / requests])
        .filter(([, us]) => us >= 0.5)
        .map(([thread, us]) => `${thread} ${us.toFixed(1)}`)
        .join(', ');
      const label = turn === 0 ? 'warm-up' : `turn ${turn}`;
      console.log(
        `${label} ${name}: ${Math.round(result.requestsPerSecond)} req/s, gateway ${gatewayUs.toFixed(1)} µs/request (${threads}), load generator ${selfUs.toFixed(1)}, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
      );
      if (turn > 0) results[name].push(gatewayUs);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `RESULT ${JSON.stringify({
      rate,
      seconds,
      gatewayUsPerRequest: Object.fromEntries(
        names.map((name) => [
          name,
          {
            turns: results[name].map((v) => +v.toFixed(1)),
            median: +median(results[name]).toFixed(1),
          },
        ]),
      ),
    })}`,
  );
} finally {
  for (const service of started.reverse()) await service.stop();
  await kafka.release?.();
  await postgres.release?.();
}
