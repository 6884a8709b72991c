// Gateways side by side: one product service, one gateway per variant in front of it (cache on,
// as (c) runs), GET /api/v1/products/{id} under autocannon (32 connections, 6 s after 2 s of
// warm-up) at each in turn, ROUNDS times (default 3; every other round in reverse order), then each
// variant's median and its ratio to the first variant's. A variant is a name and the gateway's extra
// environment; `ROOT` in it runs the gateway of another checkout (built), e.g. the commit before:
//   node bench/scripts/gateways-in-turns.mjs \
//     '{"off":{"LOG_LEVEL":"silent","REQUEST_METRICS":"false"},"before":{"ROOT":"/work/before"},"after":{}}' 4
// Each turn also prints how much of a core the gateway used. Run from a built checkout; ad hoc,
// beside the bench, not part of `pnpm bench`.
import { fileURLToPath } from 'node:url';
import { cpuTicks, TICKS_PER_SECOND } from './proc-stat.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const variants = JSON.parse(process.argv[2] ?? '{"on":{}}');
const rounds = Number(process.argv[3] ?? 3);
const { startService } = await import(`${root}/bench/dist/processes.js`);
const { productServiceEnv, gatewayServiceEnv } = await import(`${root}/bench/dist/benchmarks.js`);
const { waitForCatalogCache } = await import(`${root}/bench/dist/profile.js`);
const { measureThroughput } = await import(`${root}/bench/dist/http-load.js`);
const { acquireKafka, acquirePostgres, reservePort } = await import(
  `${root}/tools/harness/dist/index.js`
);

/**
 * The gateway of checkout `at`, started by that checkout's own bench (`startService`: its dist
 * main.js with the image's flags), once live.
 */
async function startGateway(at, env, port) {
  const { startService: startAt } = await import(`${at}/bench/dist/processes.js`);
  return startAt(
    'gateway',
    '@mercato/gateway-service',
    env,
    `http://127.0.0.1:${port}/health/live`,
  );
}

const kafka = await acquireKafka({});
const postgres = await acquirePostgres({});
const namespace = `turns-${Math.random().toString(36).slice(2, 8)}.`;
const productPorts = { grpc: await reservePort(), http: await reservePort() };
const gateways = [];
let product;
try {
  product = await startService(
    'product',
    '@mercato/product-service',
    productServiceEnv(productPorts, kafka.brokers, namespace, {
      DATABASE_URL: await postgres.createDatabase('turns_product'),
    }),
    `http://127.0.0.1:${productPorts.http}/health/ready`,
  );
  for (const [name, { ROOT: at = root, ...env }] of Object.entries(variants)) {
    const port = await reservePort();
    const gateway = await startGateway(
      at,
      gatewayServiceEnv(kafka.brokers, namespace, {
        HTTP_PORT: String(port),
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${productPorts.grpc}`,
        ...env,
      }),
      port,
    );
    gateways.push({ name, gateway, url: `http://127.0.0.1:${port}`, runs: [] });
    await waitForCatalogCache(`http://127.0.0.1:${port}`);
  }
  const page = await (await fetch(`${gateways[0].url}/api/v1/products?pageSize=1`)).json();
  const path = `/api/v1/products/${page.products[0].id}`;
  for (let round = 0; round < rounds; round += 1) {
    for (const entry of round % 2 === 0 ? gateways : [...gateways].reverse()) {
      const ticks = cpuTicks(`/proc/${entry.gateway.pid}/stat`).ticks;
      const startedAt = performance.now();
      const result = await measureThroughput(`${entry.url}${path}`, {
        connections: 32,
        warmupSeconds: 2,
        durationSeconds: 6,
      });
      const cpuMs =
        ((cpuTicks(`/proc/${entry.gateway.pid}/stat`).ticks - ticks) * 1000) / TICKS_PER_SECOND;
      const busy = (100 * cpuMs) / (performance.now() - startedAt);
      entry.runs.push(Math.round(result.requestsPerSecond));
      console.log(
        `round ${round + 1} ${entry.name}: ${Math.round(result.requestsPerSecond).toLocaleString('en')} req/s, ` +
          `the gateway busy ${busy.toFixed(0)} % of a core (warm-up included)`,
      );
    }
  }
} finally {
  for (const { gateway } of gateways) await gateway.stop();
  await product?.stop();
  await kafka.release?.();
  await postgres.release?.();
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const base = median(gateways[0].runs);
for (const { name, runs } of gateways)
  console.log(
    `${name}: ${runs.map((value) => value.toLocaleString('en')).join(', ')} req/s; median ` +
      `${median(runs).toLocaleString('en')}, ÷ ${gateways[0].name} ${(median(runs) / base).toFixed(3)}`,
  );
