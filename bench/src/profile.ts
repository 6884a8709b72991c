import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireKafka, acquirePostgres, reservePort } from '@mercato/harness';
import { renderProfile, summariseProfileIn, type ProfileSummary } from './cpu-profile.js';
import { measureThroughput, type ThroughputResult, type ThroughputSettings } from './http-load.js';
import { startService, startTarget } from './processes.js';

/**
 * Where a profiling run writes its `.cpuprofile` files: a new directory inside `keepIn` (created if
 * missing), so that a second run with the same `--out` neither mixes its files with the first
 * one's nor stops at them; without `keepIn`, a temporary directory deleted after the run.
 */
export async function profileDirectory(keepIn: string | undefined): Promise<string> {
  if (keepIn === undefined) return mkdtemp(join(tmpdir(), 'mercato-profile-'));
  await mkdir(keepIn, { recursive: true });
  return mkdtemp(join(keepIn, `${new Date().toISOString().slice(0, 19).replaceAll(':', '')}-`));
}

/**
 * Waits until a gateway's catalog cache serves (its change feed has joined its group and fetches):
 * before that, catalog reads bypass the cache, and a measurement would mix both.
 */
export async function waitForCatalogCache(gatewayUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exposition = await (await fetch(`${gatewayUrl}/metrics`)).text();
    if (/^gateway_catalog_cache_live(?:\{[^}]*\})? 1$/m.test(exposition)) return;
    if (Date.now() > deadline)
      throw new Error(`the catalog cache of ${gatewayUrl} was not live within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What `pnpm bench -- --profile` found: the load it ran and each process's CPU profile. */
export interface ProfileReport {
  url: string;
  load: ThroughputResult;
  gateway: ProfileSummary;
  product: ProfileSummary;
  markdown: string;
}

/**
 * Runs the deployed read path — gateway process → gRPC → product process → PostgreSQL — under
 * `node --cpu-prof` while autocannon drives GET /api/v1/products/{id}, then summarises where each
 * process spent its CPU time (self time by package and by function).
 */
export async function runProfile(options: {
  throughput: ThroughputSettings;
  gatewayEnv?: Record<string, string>;
  /**
   * Trace at this share (0–1): both services export OTLP to a receiver process that counts bytes,
   * and the catalog cache is off, so every request is four spans over gRPC, as in part (k).
   */
  tracingSampleRatio?: number;
  /** Keep the .cpuprofile files here (open them in Chrome DevTools); by default they are deleted. */
  keepIn?: string;
  log: (line: string) => void;
}): Promise<ProfileReport> {
  const { log } = options;
  const kafka = await acquireKafka({ log: (message) => log(`kafka: ${message}`) });
  const postgres = await acquirePostgres({ log: (message) => log(`postgres: ${message}`) });
  const directory = await profileDirectory(options.keepIn);
  if (options.keepIn) log(`profiles kept in ${directory}`);
  const sink =
    options.tracingSampleRatio === undefined ? undefined : await startTarget('otlp-sink', {});
  const tracingEnv: Record<string, string> = sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {};
  const gatewayTracingEnv: Record<string, string> = sink
    ? {
        ...tracingEnv,
        OTEL_TRACES_SAMPLER_ARG: String(options.tracingSampleRatio),
        CATALOG_CACHE: 'false',
      }
    : {};
  try {
    const ports = {
      grpc: await reservePort(),
      http: await reservePort(),
      gateway: await reservePort(),
    };
    const namespace = `profile-${randomBytes(4).toString('hex')}.`;
    const profileFlags = (name: string) => [
      '--cpu-prof',
      `--cpu-prof-dir=${join(directory, name)}`,
    ];
    const product = await startService(
      'product',
      '@mercato/product-service',
      {
        DATABASE_URL: await postgres.createDatabase('profile_product'),
        HOST: '127.0.0.1',
        GRPC_PORT: String(ports.grpc),
        HTTP_PORT: String(ports.http),
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKA_NAMESPACE: namespace,
        LOG_LEVEL: 'info',
        SEED_CATALOG: 'true',
        SHUTDOWN_DRAIN_DELAY: '0',
        ...tracingEnv,
      },
      `http://127.0.0.1:${ports.http}/health/ready`,
      90_000,
      profileFlags('product'),
    );
    let gatewayStopped = false;
    const gateway = await startService(
      'gateway',
      '@mercato/gateway-service',
      {
        HOST: '127.0.0.1',
        HTTP_PORT: String(ports.gateway),
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${ports.grpc}`,
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKA_NAMESPACE: namespace,
        LOG_LEVEL: 'info',
        JWT_SECRET: randomBytes(32).toString('hex'),
        RATE_LIMIT_MAX: '1000000000',
        SHUTDOWN_DRAIN_DELAY: '0',
        ...gatewayTracingEnv,
        ...options.gatewayEnv,
      },
      `http://127.0.0.1:${ports.gateway}/health/live`,
      90_000,
      profileFlags('gateway'),
    ).catch(async (error: unknown) => {
      await product.stop();
      throw error;
    });
    let load: ThroughputResult;
    let url: string;
    try {
      if (options.gatewayEnv?.CATALOG_CACHE !== 'false' && sink === undefined)
        await waitForCatalogCache(`http://127.0.0.1:${ports.gateway}`);
      const base = `http://127.0.0.1:${ports.gateway}/api/v1`;
      const page = (await (await fetch(`${base}/products?pageSize=1`)).json()) as {
        products: { id: string }[];
      };
      url = `${base}/products/${page.products[0]!.id}`;
      log(`profiling ${url}`);
      load = await measureThroughput(url, options.throughput);
      log(`${Math.round(load.requestsPerSecond)} req/s under the profiler`);
      await gateway.stop();
      gatewayStopped = true;
    } finally {
      if (!gatewayStopped) await gateway.stop();
      await product.stop();
    }
    const summaries = {
      gateway: await summariseProfileIn(join(directory, 'gateway')),
      product: await summariseProfileIn(join(directory, 'product')),
    };
    const markdown = [
      `Load: ${Math.round(load.requestsPerSecond).toLocaleString('en-US')} req/s on ${url.replace(/^http:\/\/[^/]+/, '')} (${options.throughput.connections} connections, ${options.throughput.durationSeconds} s, under the profiler), p50 ${load.latencyMs.p50.toFixed(2)} ms, p99 ${load.latencyMs.p99.toFixed(2)} ms.`,
      '',
      renderProfile('gateway process', summaries.gateway),
      renderProfile('product process', summaries.product),
    ].join('\n');
    return { url, load, ...summaries, markdown };
  } finally {
    await sink?.process.stop();
    if (!options.keepIn) await rm(directory, { recursive: true, force: true });
    await postgres.release();
    await kafka.release();
  }
}
