import { measureStartMemory, type StartMemoryResult } from './start-memory.js';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  acquireKafka,
  acquirePostgres,
  type KafkaLease,
  type PostgresLease,
  reservePort,
} from '@mercato/harness';
import { LatencyRecorder, runLoad, type LatencyStats, type SettledOrder } from '@mercato/loadgen';
import { launchShop, type RunningShop, type ShopService } from '@mercato/shop';
import { CHECKOUT_STAGES, isSeriesOfStage } from '@mercato/contracts';
import {
  histogramDelta,
  histogramQuantile,
  readHistogram,
  type HistogramReading,
} from '@mercato/metrics';
import {
  measureAtRateInTurns,
  measureThroughput,
  type PacedResult,
  type ThroughputResult,
  type ThroughputSettings,
} from './http-load.js';
import { describeMachine, type MachineInfo } from './machine.js';
import { residentSetBytes, startService, startTarget } from './processes.js';
import { waitForCatalogCache } from './profile.js';
import { measureStatements, type StatementsResult } from './statements.js';
import { measureTracing, type TracingResult } from './tracing.js';

/**
 * The throughput parts: (a) raw node:http, (g) bare Express 5, (b) gateway with product
 * in-process, (c) over gRPC, (h) (c) with the catalog cache off, (f) (c) without logs and metrics.
 */
export type ThroughputPartId = 'a' | 'g' | 'b' | 'c' | 'h' | 'f';

/** One throughput measurement. */
export interface ThroughputPart {
  id: ThroughputPartId;
  title: string;
  result: ThroughputResult;
}

/**
 * Part (i): the latency one gRPC hop adds at a moderate load — (b) and (h), both with the catalog
 * cache off (every request looks the product up), each at the same fixed rate.
 */
export interface HopLatencyResult {
  /** Req/s of (h) (its median run) at `settings.connections` connections. */
  capacityRequestsPerSecond: number;
  /** Share of that capacity both are driven at. */
  share: number;
  ratePerSecond: number;
  /**
   * (b) with CATALOG_CACHE=false: the gateway with the product lookup in its own process. It and
   * `overGrpc` each pool `settings.observabilityRounds` runs, taking turns (`runP99Ms`: each run's).
   */
  inProcess: PacedResult;
  /** (h): the same route across gRPC to the product process. */
  overGrpc: PacedResult;
  /** p50 and p99 of (h) minus those of (b), pooled. */
  addedP50Ms: number;
  addedP99Ms: number;
}

/** Checkout latency under one steady order rate (part d). */
export interface CheckoutResult {
  ordersPerSecond: number;
  durationSeconds: number;
  /** Order journeys started per second (fewer than asked when some were dropped). */
  achievedOrdersPerSecond: number;
  placed: number;
  byStatus: Record<string, number>;
  failedJourneys: number;
  /** Journeys not started because `maxConcurrentJourneys` were still running: the shop fell behind. */
  droppedJourneys: number;
  failures: Record<string, number>;
  non2xx: number;
  /** From sending POST /orders to the order service recording PAID (the order's updatedAt). */
  recordedMs: LatencyStats | undefined;
  /** From sending POST /orders until a poll saw PAID (includes up to one poll interval). */
  observedMs: LatencyStats | undefined;
  /** First wait before a poll; each next one is 1.5× longer, up to the maximum. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /**
   * Each checkout stage during this rate's run, from the services' own histograms (every replica's
   * `/metrics`, before and after): mean from their sums, p50 and p99 estimated from their buckets.
   */
  stages: StageResult[];
}

/** How the capacity search runs (part j). */
export interface CapacitySettings {
  /** The first rate tried; it doubles while the shop keeps up, then the gap is halved. */
  startOrdersPerSecond: number;
  /** No rate above this is tried. */
  maxOrdersPerSecond: number;
  /** Halvings of the gap between the last rate kept up with and the first one not. */
  refinements: number;
  durationSeconds: number;
  /** A rate is kept up with when no journey was dropped or failed and recorded p99 ≤ this. */
  p99LimitMs: number;
}

/** The capacity search's steps and its answer. */
export interface CapacityResult {
  replicas: Partial<Record<ShopService, number>>;
  settings: CapacitySettings;
  /** Every rate tried, in order. */
  steps: CheckoutResult[];
  /** The highest rate kept up with (undefined when not even the first was). */
  capacityOrdersPerSecond: number | undefined;
}

/** Whether the shop kept up with a rate: nothing dropped or failed, every order paid, p99 in bounds. */
export function keptUp(run: CheckoutResult, p99LimitMs: number): boolean {
  return (
    run.droppedJourneys === 0 &&
    run.failedJourneys === 0 &&
    run.non2xx === 0 &&
    (run.byStatus.PAID ?? 0) === run.placed &&
    run.placed > 0 &&
    run.recordedMs !== undefined &&
    run.recordedMs.p99 <= p99LimitMs
  );
}

/**
 * The rates the capacity search tries after `history` (each rate with whether the shop kept up):
 * doubling from the start while it keeps up, then halving the gap between the highest rate kept up
 * with and the lowest one not, `refinements` times. Undefined when the search is over.
 */
export function nextCapacityRate(
  history: readonly { rate: number; keptUp: boolean }[],
  settings: Pick<CapacitySettings, 'startOrdersPerSecond' | 'maxOrdersPerSecond' | 'refinements'>,
): number | undefined {
  if (history.length === 0) return settings.startOrdersPerSecond;
  const firstMiss = history.findIndex((step) => !step.keptUp);
  const best = Math.max(0, ...history.filter((step) => step.keptUp).map((step) => step.rate));
  if (firstMiss === -1) {
    const next = Math.min(best * 2, settings.maxOrdersPerSecond);
    return next > best ? next : undefined;
  }
  if (history.length - 1 - firstMiss >= settings.refinements) return undefined;
  const worst = Math.min(...history.filter((step) => !step.keptUp).map((step) => step.rate));
  const next = Math.round((best + worst) / 2);
  return next > best && next < worst ? next : undefined;
}

/** One checkout stage (`CHECKOUT_STAGES`) over one rate's run. */
export interface StageResult {
  stage: string;
  service: string;
  count: number;
  meanMs: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

/** A PostgreSQL server (as deployed) or embedded PGlite (the default of `pnpm start`). */
export type BenchDatabase = 'postgres' | 'pglite';

/** Resident memory of one service instance (part e). */
export interface MemoryResult {
  instance: string;
  service: string;
  /** After start-up, before any load. */
  idleBytes: number | undefined;
  /** At rest after the last (highest) checkout rate: its orders settled, then the idle pause. */
  loadedBytes: number | undefined;
  /** Highest sample (once a second) during the load. */
  peakBytes: number | undefined;
}

/** What every report opens with. */
export interface ReportHeader {
  version: 2;
  /** `pnpm bench` or `pnpm bench -- --quick` (shorter parts; its wall time is an acceptance figure). */
  mode: BenchMode;
  startedAt: string;
  finishedAt: string;
  commit: string | undefined;
  machine: MachineInfo;
}

/** Everything one `pnpm bench` run measured. */
export interface BenchReport extends ReportHeader {
  settings: ThroughputSettings & {
    database: BenchDatabase;
    observabilityRounds: number;
    path: string;
    productId: string;
    rateLimitMax: number;
  };
  /** (b), (c), (f) and (h) are the median of these alternating runs (req/s of each). */
  rounds: { b: number[]; c: number[]; f: number[]; h: number[] };
  /** In the order of the table: a, g, b, c, h, f. */
  throughput: ThroughputPart[];
  /** Req/s of each part divided by req/s of (a); and logs+metrics on over off. */
  ratios: {
    gOverA: number;
    bOverA: number;
    cOverA: number;
    hOverA: number;
    fOverA: number;
    /** (c) over (f): the share of throughput kept with logs and metrics on. */
    observabilityOnOverOff: number;
  };
  hop: HopLatencyResult;
  /** Part (k): the catalog read with tracing off, at 10 % and at 100 %. */
  tracing: TracingResult;
  /** One result per checkout rate, in the order they ran. */
  checkout: CheckoutResult[] | undefined;
  memory: MemoryResult[] | undefined;
  /** Part (j), when it ran. */
  capacity?: CapacityResult | undefined;
}

/** A full run or a --quick one. */
export type BenchMode = 'full' | 'quick';

/** How long and how hard each part runs. */
export interface BenchOptions {
  mode: BenchMode;
  /** Also the warm-up and duration of each fixed-rate run of part (i). */
  throughput: ThroughputSettings;
  checkout: {
    /** Run one after another on the same shop, e.g. a rate it keeps up with, then the target. */
    ordersPerSecond: readonly number[];
    durationSeconds: number;
    /** Journeys in flight at most; a journey due beyond is dropped and counted. */
    maxConcurrentJourneys: number;
    pollIntervalMs: number;
    maxPollIntervalMs: number;
    /** Time between the shop being ready and the idle memory reading. */
    idleSettleSeconds: number;
    /** Replicas per service of the shop (default one each). */
    replicas?: Partial<Record<ShopService, number>>;
    /** The capacity search after the fixed rates; null skips it. */
    capacity: CapacitySettings | null;
  } | null;
  /** Where the services keep their data, in every part. */
  database: BenchDatabase;
  /**
   * Alternating runs of (c), (f) and (h), the median of each reported; and turns of (b) and (h) at
   * the fixed rate of (i), pooled.
   */
  observabilityRounds: number;
  /** Rounds of part (k); `observabilityRounds` when not given. */
  tracingRounds?: number;
  /** Progress lines (the CLI prints them on stderr). */
  log: (line: string) => void;
  commit?: string;
}

// The limiter runs (its counting is part of the route's cost) but never rejects: the benchmark
// measures the route, not the rate limit, and comes from one address.
const RATE_LIMIT_MAX = 1_000_000_000;
const PRODUCT_PATH = '/api/v1/products/';
/** Part (i) drives (b) and (h) at this share of (h)'s capacity. */
export const HOP_LOAD_SHARE = 0.3;

const format = (value: number) => Math.round(value).toLocaleString('en-US');

/** The product service's variables in every part: seeded catalog, its own database and topics. */
export function productServiceEnv(
  ports: { grpc: number; http: number },
  kafkaBrokers: readonly string[],
  kafkaNamespace: string,
  databaseEnv: Record<string, string>,
): Record<string, string> {
  return {
    ...databaseEnv,
    HOST: '127.0.0.1',
    GRPC_PORT: String(ports.grpc),
    HTTP_PORT: String(ports.http),
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_NAMESPACE: kafkaNamespace,
    LOG_LEVEL: 'info',
    SEED_CATALOG: 'true',
    SHUTDOWN_DRAIN_DELAY: '0',
  };
}

/**
 * The gateway's variables in every part, as deployed: access logs and RED metrics on, and
 * KAFKA_BROKERS with the product service's namespace, which turns its catalog cache on.
 */
export function gatewayServiceEnv(
  kafkaBrokers: readonly string[],
  kafkaNamespace: string,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REQUEST_METRICS: 'true',
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    SHUTDOWN_DRAIN_DELAY: '0',
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_NAMESPACE: kafkaNamespace,
    ...extra,
  };
}

/** Runs every part once, in one process tree, and returns the figures. */
export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date();
  // Before anything starts: the load average then says what else the machine was doing.
  const machine = describeMachine();
  const { log } = options;
  const kafka = await acquireKafka({ log: (message) => log(`kafka: ${message}`) });
  const postgres =
    options.database === 'postgres'
      ? await acquirePostgres({ log: (message) => log(`postgres: ${message}`) }).catch(
          async (error: unknown) => {
            await kafka.release();
            throw error;
          },
        )
      : undefined;
  // A fresh database per part (dropped when the lease is released); PGlite keeps each in memory.
  const databaseEnv = async (name: string): Promise<Record<string, string>> =>
    postgres ? { DATABASE_URL: await postgres.createDatabase(name) } : {};
  try {
    const namespace = `bench-${randomBytes(4).toString('hex')}`;
    // The product service of each part has its own topics; a gateway with the catalog cache reads
    // the products topic of the product service it calls, so it gets the same namespace.
    const kafkaNamespace = (part: string) => `${namespace}-${part}.`;
    const productEnv = async (ports: { grpc: number; http: number }, part: string) =>
      productServiceEnv(
        ports,
        kafka.brokers,
        kafkaNamespace(part),
        await databaseEnv(`bench_product_${part}`),
      );
    // As deployed: KAFKA_BROKERS turns the gateway's catalog cache on (CATALOG_CACHE defaults to
    // true); a gateway without the cache ignores both variables.
    const gatewayEnv = (productPart: string, extra: Record<string, string>) =>
      gatewayServiceEnv(kafka.brokers, kafkaNamespace(productPart), extra);
    const CACHE_OFF = { CATALOG_CACHE: 'false' };
    const measure = async (
      id: ThroughputPartId,
      title: string,
      url: string,
    ): Promise<ThroughputPart> => {
      log(`(${id}) ${title}: measuring ${url}`);
      const result = await measureThroughput(url, options.throughput);
      failOnErrors(`(${id}) ${title}`, result);
      log(
        `(${id}) ${format(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
      );
      return { id, title, result };
    };
    // (b), (c), (f) and (h) take turns, `rounds` times each, and the median counts: on a shared
    // 2-core machine one pair of runs can differ by more than the cost of logs and metrics, and a
    // part measured once, at another time, by more than what it is compared for. (c), (f) and (h)
    // share one product service, each turn with a gateway of its own; each turn of (b) starts a
    // gateway with a product service of its own in-process. (i) then uses the same product service.
    const productPorts = { grpc: await reservePort(), http: await reservePort() };
    const product = await startService(
      'product',
      '@mercato/product-service',
      await productEnv(productPorts, 'c'),
      `http://127.0.0.1:${productPorts.http}/health/ready`,
    );
    const withGateway = async <T>(
      id: string,
      env: Record<string, string>,
      run: (url: string) => Promise<T>,
    ): Promise<T> => {
      const gatewayPort = await reservePort();
      const gateway = await startService(
        'gateway',
        '@mercato/gateway-service',
        gatewayEnv('c', {
          HTTP_PORT: String(gatewayPort),
          PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${productPorts.grpc}`,
          ...env,
        }),
        `http://127.0.0.1:${gatewayPort}/health/live`,
      );
      try {
        if (env.CATALOG_CACHE !== 'false')
          await waitForCatalogCache(`http://127.0.0.1:${gatewayPort}`);
        const url = productUrl(`http://127.0.0.1:${gatewayPort}`);
        await expectSameJson(id, url);
        return await run(url);
      } finally {
        await gateway.stop();
      }
    };
    const overGrpc = (id: ThroughputPartId, title: string, env: Record<string, string>) =>
      withGateway(id, env, (url) => measure(id, title, url));
    const LOGS_AND_METRICS_ON = { LOG_LEVEL: 'info', REQUEST_METRICS: 'true' };
    // The first turn of (b) tells which product to ask for and what JSON it is.
    let productId: string | undefined;
    let productJson: string | undefined;
    const productUrl = (base: string) => `${base}${PRODUCT_PATH}${productId!}`;
    const expectSameJson = async (id: string, url: string) => {
      const served = await fetchText(url);
      if (!isDeepStrictEqual(JSON.parse(served), JSON.parse(productJson!)))
        throw new Error(`(${id}) serves other JSON than (b):\n${served}\n${productJson}`);
      return served;
    };
    const inProcessTurn = async (round: number): Promise<ThroughputPart> => {
      const part = `b${round}`;
      const inProcess = await startTarget('in-process-gateway', {
        productEnv: await productEnv({ grpc: 0, http: 0 }, part),
        gatewayEnv: gatewayEnv(part, { HTTP_PORT: '0' }),
      });
      try {
        // Measured once the cache serves: before its change feed is live, reads bypass it.
        await waitForCatalogCache(inProcess.url);
        if (productId === undefined) {
          productId = await firstProductId(inProcess.url);
          productJson = await fetchText(`${inProcess.url}${PRODUCT_PATH}${productId}`);
        } else await expectSameJson('b', productUrl(inProcess.url));
        return await measure('b', 'gateway, product in-process', productUrl(inProcess.url));
      } finally {
        await inProcess.process.stop();
      }
    };
    const bRuns: ThroughputPart[] = [];
    const cRuns: ThroughputPart[] = [];
    const fRuns: ThroughputPart[] = [];
    const hRuns: ThroughputPart[] = [];
    let hop: HopLatencyResult;
    try {
      for (let round = 0; round < options.observabilityRounds; round += 1) {
        bRuns.push(await inProcessTurn(round));
        cRuns.push(await overGrpc('c', 'gateway → gRPC → product', LOGS_AND_METRICS_ON));
        fRuns.push(
          await overGrpc('f', '(c) with logs and metrics off', {
            LOG_LEVEL: 'silent',
            REQUEST_METRICS: 'false',
          }),
        );
        hRuns.push(
          await overGrpc('h', '(c) with the catalog cache off', {
            ...LOGS_AND_METRICS_ON,
            ...CACHE_OFF,
          }),
        );
      }

      // (i): both at the same fixed share of (h)'s capacity, far from saturation, so the
      // difference is the hop's latency rather than queueing. Both servers are up before either
      // is measured, and they take turns.
      const capacity = medianRun(hRuns).result.requestsPerSecond;
      const ratePerSecond = Math.max(1, Math.round(capacity * HOP_LOAD_SHARE));
      const inProcessNoCache = await startTarget('in-process-gateway', {
        productEnv: await productEnv({ grpc: 0, http: 0 }, 'i'),
        gatewayEnv: gatewayEnv('i', { HTTP_PORT: '0', ...CACHE_OFF }),
      });
      try {
        const inProcessUrl = productUrl(inProcessNoCache.url);
        await expectSameJson('i', inProcessUrl);
        hop = await withGateway('i', { ...LOGS_AND_METRICS_ON, ...CACHE_OFF }, async (url) => {
          log(
            `(i) (b) and (h) with the catalog cache off, ${format(ratePerSecond)} req/s each, ` +
              `${options.observabilityRounds} turns of ${options.throughput.durationSeconds} s`,
          );
          const [inProcessAtRate, overGrpcAtRate] = await measureAtRateInTurns(
            [inProcessUrl, url],
            {
              ratePerSecond,
              warmupSeconds: options.throughput.warmupSeconds,
              durationSeconds: options.throughput.durationSeconds,
              connections: options.throughput.connections,
            },
            options.observabilityRounds,
            (runUrl, p99) => log(`(i) ${runUrl === url ? '(h)' : '(b)'} p99 ${p99.toFixed(2)} ms`),
          );
          failOnErrors('(i) (b) with the catalog cache off', inProcessAtRate!);
          failOnErrors('(i) (h)', overGrpcAtRate!);
          return hopResult(capacity, ratePerSecond, inProcessAtRate!, overGrpcAtRate!);
        });
      } finally {
        await inProcessNoCache.process.stop();
      }
      log(
        `(i) p99 (b) ${hop.inProcess.latencyMs.p99.toFixed(2)} ms, (h) ${hop.overGrpc.latencyMs.p99.toFixed(2)} ms: ` +
          `added by the gRPC hop ${hop.addedP99Ms.toFixed(2)} ms`,
      );
    } finally {
      await product.stop();
    }
    const raw = await startTarget('raw-http', { body: productJson });
    let a: ThroughputPart;
    try {
      a = await measure('a', 'raw node:http, same JSON', productUrl(raw.url));
    } finally {
      await raw.process.stop();
    }

    const bareExpress = await startTarget('express', { body: productJson });
    let g: ThroughputPart;
    try {
      const served = await expectSameJson('g', productUrl(bareExpress.url));
      if (served !== productJson)
        throw new Error(`(g) serves other bytes than (a):\n${served}\n${productJson}`);
      g = await measure('g', 'bare Express 5, same JSON', productUrl(bareExpress.url));
    } finally {
      await bareExpress.process.stop();
    }

    const b = medianRun(bRuns);
    const c = medianRun(cRuns);
    const f = medianRun(fRuns);
    const h = medianRun(hRuns);
    const tracing = await measureTracing({
      kafkaBrokers: kafka.brokers,
      kafkaNamespace: kafkaNamespace('k'),
      databaseEnv: await databaseEnv('bench_product_k'),
      throughput: options.throughput,
      rounds: options.tracingRounds ?? options.observabilityRounds,
      log,
    });

    const checkoutAndMemory = options.checkout
      ? await runCheckout(kafka, `${namespace}-shop.`, options.checkout, log, postgres)
      : undefined;

    const throughput = [a, g, b, c, h, f];
    const rounds = {
      b: bRuns.map(requestsPerSecond),
      c: cRuns.map(requestsPerSecond),
      f: fRuns.map(requestsPerSecond),
      h: hRuns.map(requestsPerSecond),
    };
    const overA = (part: ThroughputPart) => requestsPerSecond(part) / requestsPerSecond(a);
    return {
      ...reportHeader(options, startedAt, machine),
      settings: {
        ...options.throughput,
        database: options.database,
        observabilityRounds: options.observabilityRounds,
        path: `${PRODUCT_PATH}{id}`,
        productId: productId!,
        rateLimitMax: RATE_LIMIT_MAX,
      },
      throughput,
      rounds,
      ratios: {
        gOverA: overA(g),
        bOverA: overA(b),
        cOverA: overA(c),
        hOverA: overA(h),
        fOverA: overA(f),
        observabilityOnOverOff: requestsPerSecond(c) / requestsPerSecond(f),
      },
      hop,
      tracing,
      checkout: checkoutAndMemory?.checkout,
      memory: checkoutAndMemory?.memory,
      capacity: checkoutAndMemory?.capacity,
    };
  } finally {
    await postgres?.release();
    await kafka.release();
  }
}

/** What `pnpm bench -- --checkout-only` measured: parts (d), (e) and (j) alone. */
export interface CheckoutReport extends ReportHeader {
  database: BenchDatabase;
  checkout: CheckoutResult[];
  memory: MemoryResult[];
  capacity: CapacityResult | undefined;
}

/**
 * Runs `work` with a Kafka broker and, for `database: 'postgres'`, a PostgreSQL server from the
 * harness, released afterwards; the part runs alone, as `--checkout-only` and `--tracing-only` do.
 */
async function withInfrastructure<T>(
  options: Pick<BenchOptions, 'database' | 'log'>,
  work: (kafka: KafkaLease, postgres: PostgresLease | undefined) => Promise<T>,
): Promise<T> {
  const { log } = options;
  const kafka = await acquireKafka({ log: (message) => log(`kafka: ${message}`) });
  try {
    const postgres =
      options.database === 'postgres'
        ? await acquirePostgres({ log: (message) => log(`postgres: ${message}`) })
        : undefined;
    try {
      return await work(kafka, postgres);
    } finally {
      await postgres?.release();
    }
  } finally {
    await kafka.release();
  }
}

/** Parts (d), (e) and (j) only: the shop under order load, as `--checkout-only` runs them. */
export async function runCheckoutBenchmarks(
  options: Omit<BenchOptions, 'checkout'> & { checkout: NonNullable<BenchOptions['checkout']> },
): Promise<CheckoutReport> {
  const startedAt = new Date();
  const machine = describeMachine();
  return withInfrastructure(options, async (kafka, postgres) => {
    const namespace = `bench-${randomBytes(4).toString('hex')}`;
    const result = await runCheckout(
      kafka,
      `${namespace}-shop.`,
      options.checkout,
      options.log,
      postgres,
    );
    return { ...reportHeader(options, startedAt, machine), database: options.database, ...result };
  });
}

/** What every report opens with: format version, mode, when, which commit, which machine. */
function reportHeader(
  options: Pick<BenchOptions, 'mode' | 'commit'>,
  startedAt: Date,
  machine: MachineInfo,
): ReportHeader {
  return {
    version: 2,
    mode: options.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: options.commit,
    machine,
  };
}

function hopResult(
  capacityRequestsPerSecond: number,
  ratePerSecond: number,
  inProcess: PacedResult,
  overGrpc: PacedResult,
): HopLatencyResult {
  return {
    capacityRequestsPerSecond,
    share: HOP_LOAD_SHARE,
    ratePerSecond,
    inProcess,
    overGrpc,
    addedP50Ms: overGrpc.latencyMs.p50 - inProcess.latencyMs.p50,
    addedP99Ms: overGrpc.latencyMs.p99 - inProcess.latencyMs.p99,
  };
}

/** A part with any non-2xx response or socket error fails the run instead of reporting a figure. */
function failOnErrors(part: string, result: ThroughputResult | PacedResult): void {
  if (result.non2xx > 0 || result.errors > 0) {
    const kinds =
      'errorKinds' in result && Object.keys(result.errorKinds).length > 0
        ? ` (${Object.entries(result.errorKinds)
            .map(([kind, count]) => `${count} ${kind}`)
            .join(', ')})`
        : '';
    throw new Error(
      `${part}: ${result.non2xx} non-2xx responses and ${result.errors} errors${kinds} — the figures would not be comparable`,
    );
  }
}

/** Units every product of the checkout parts' shop starts with. */
const SEED_STOCK = 1_000_000;

/** (d) and (e): the whole shop as separate processes, idle, then under a steady order rate. */
async function runCheckout(
  kafka: KafkaLease,
  kafkaNamespace: string,
  settings: NonNullable<BenchOptions['checkout']>,
  log: (line: string) => void,
  postgres: PostgresLease | undefined,
): Promise<{
  checkout: CheckoutResult[];
  memory: MemoryResult[];
  capacity: CapacityResult | undefined;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mercato-bench-'));
  try {
    // Without URLs the shop gives each service PGlite under dataDir.
    const databaseUrls = postgres && {
      product: await postgres.createDatabase('bench_shop_product'),
      order: await postgres.createDatabase('bench_shop_order'),
      payment: await postgres.createDatabase('bench_shop_payment'),
    };
    log(
      `(d) starting the shop (four services as processes, ${postgres ? 'PostgreSQL' : 'PGlite'}, Kafka)`,
    );
    const shop = await launchShop({
      dataDir,
      databaseUrls,
      kafkaBrokers: kafka.brokers.join(','),
      kafkaNamespace,
      logLevel: 'info',
      env: {
        gateway: { RATE_LIMIT_MAX: String(RATE_LIMIT_MAX) },
        // The demo catalog holds 2,341 units in all, fewer than the orders of a full run with
        // its capacity search: every product starts with plenty, so no rate runs out of stock.
        product: { SEED_STOCK: String(SEED_STOCK) },
      },
      ...(settings.replicas ? { replicas: settings.replicas } : {}),
    });
    try {
      await sleep(settings.idleSettleSeconds * 1000);
      const memory: MemoryResult[] = [];
      for (const instance of shop.instances) {
        memory.push({
          instance: instance.name,
          service: instance.service,
          idleBytes: instance.pid ? await residentSetBytes(instance.pid) : undefined,
          loadedBytes: undefined,
          peakBytes: undefined,
        });
      }
      const sampleMemory = async (field: 'loadedBytes' | 'peakBytes') => {
        for (const [index, instance] of shop.instances.entries()) {
          const rss = instance.pid ? await residentSetBytes(instance.pid) : undefined;
          const entry = memory[index]!;
          if (rss === undefined) continue;
          entry[field] = field === 'peakBytes' ? Math.max(entry.peakBytes ?? 0, rss) : rss;
        }
      };
      const checkout: CheckoutResult[] = [];
      for (const rate of settings.ordersPerSecond) {
        // Memory is reported for the last rate: the highest load the shop was given.
        for (const entry of memory) entry.peakBytes = undefined;
        const sampler = setInterval(() => void sampleMemory('peakBytes'), 1_000);
        try {
          checkout.push(await checkoutWithStages(shop, rate, settings, log));
        } finally {
          clearInterval(sampler);
        }
        await sampleMemory('peakBytes');
      }
      // "After" is the processes at rest again, read after the same pause as "idle": a service's
      // memory reducer (D46) gives back what a burst grew once it has been quiet for a while.
      await sleep(settings.idleSettleSeconds * 1000);
      await sampleMemory('loadedBytes');
      let capacity: CapacityResult | undefined;
      if (settings.capacity) {
        const search = settings.capacity;
        log(
          `(j) capacity search: from ${search.startOrdersPerSecond} orders/s, ${search.durationSeconds} s a step, ` +
            `kept up = nothing dropped or failed and recorded p99 ≤ ${search.p99LimitMs} ms`,
        );
        // A fixed-rate run above of a step's length is a step already taken (a --quick run's 10
        // and 50 orders/s): the search goes on from it instead of running that rate again.
        const steps = checkout.filter(
          (run) =>
            run.durationSeconds === search.durationSeconds &&
            run.ordersPerSecond >= search.startOrdersPerSecond,
        );
        const history = steps.map((run) => ({
          rate: run.ordersPerSecond,
          keptUp: keptUp(run, search.p99LimitMs),
        }));
        for (const step of history)
          log(
            `(j) ${step.rate} orders/s: ${step.keptUp ? 'kept up' : 'fell behind'} (the run above)`,
          );
        for (
          let rate = nextCapacityRate(history, search);
          rate !== undefined;
          rate = nextCapacityRate(history, search)
        ) {
          const step = await checkoutWithStages(
            shop,
            rate,
            { ...settings, durationSeconds: search.durationSeconds },
            log,
          );
          steps.push(step);
          history.push({ rate, keptUp: keptUp(step, search.p99LimitMs) });
          log(`(j) ${rate} orders/s: ${history.at(-1)!.keptUp ? 'kept up' : 'fell behind'}`);
        }
        const kept = history.filter((step) => step.keptUp).map((step) => step.rate);
        capacity = {
          replicas: settings.replicas ?? {},
          settings: search,
          steps,
          capacityOrdersPerSecond: kept.length > 0 ? Math.max(...kept) : undefined,
        };
      }
      return { checkout, memory, capacity };
    } finally {
      await shop.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * One rate's run with its stage breakdown, once the shop has caught up with the run before (every
 * order placed has been through every stage), so a backlog never counts against the next rate.
 */
async function checkoutWithStages(
  shop: RunningShop,
  rate: number,
  settings: NonNullable<BenchOptions['checkout']>,
  log: (line: string) => void,
): Promise<CheckoutResult> {
  const before = await caughtUp(shop);
  const run = await checkoutAt(rate, shop.gatewayUrl, settings, log);
  run.stages = stageResults(await caughtUp(shop), before);
  return run;
}

/**
 * Waits (up to 60 s) until the first and the last stage have seen as many orders, and returns the
 * stages as they were then.
 */
async function caughtUp(shop: RunningShop): Promise<HistogramReading[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const readings = await readStages(shop);
    if (readings[0]!.count === readings.at(-1)!.count || Date.now() > deadline) return readings;
    await sleep(250);
  }
}

/** Order journeys at a steady rate; latency of the orders that were paid. */
async function checkoutAt(
  ordersPerSecond: number,
  gatewayUrl: string,
  settings: NonNullable<BenchOptions['checkout']>,
  log: (line: string) => void,
): Promise<CheckoutResult> {
  log(`(d) ${ordersPerSecond} orders/s for ${settings.durationSeconds} s on ${gatewayUrl}`);
  const settled: SettledOrder[] = [];
  const summary = await runLoad({
    baseUrl: gatewayUrl,
    ratePerSecond: ordersPerSecond,
    durationMs: settings.durationSeconds * 1000,
    mix: { order: 1 },
    paymentTokens: { tok_success: 1 },
    shoppers: 100,
    maxConcurrentJourneys: settings.maxConcurrentJourneys,
    pollIntervalMs: settings.pollIntervalMs,
    maxPollIntervalMs: settings.maxPollIntervalMs,
    onOrderSettled: (order) => settled.push(order),
  });
  const recorded = new LatencyRecorder();
  const observed = new LatencyRecorder();
  for (const order of settled.filter(({ status }) => status === 'PAID')) {
    // Both clocks are this machine's; the order service stores milliseconds.
    recorded.record(Math.max(0, order.updatedAt - order.placedAt));
    observed.record(order.observedAt - order.placedAt);
  }
  const result: CheckoutResult = {
    ordersPerSecond,
    durationSeconds: settings.durationSeconds,
    achievedOrdersPerSecond: summary.achievedRate,
    placed: summary.orders.placed,
    byStatus: summary.orders.byStatus,
    failedJourneys: summary.totals.failed,
    droppedJourneys: summary.totals.dropped,
    failures: summary.failures,
    non2xx: summary.requests.non2xx,
    recordedMs: recorded.stats(),
    observedMs: observed.stats(),
    pollIntervalMs: settings.pollIntervalMs,
    maxPollIntervalMs: settings.maxPollIntervalMs,
    stages: [],
  };
  log(
    `(d) ${result.placed} orders ${JSON.stringify(result.byStatus)}, ${result.droppedJourneys} dropped; ` +
      `POST → PAID p50 ${result.recordedMs?.p50.toFixed(0)} ms, p99 ${result.recordedMs?.p99.toFixed(0)} ms`,
  );
  return result;
}

/** Every stage's histogram, summed over the instances of its service. */
async function readStages(shop: RunningShop): Promise<HistogramReading[]> {
  // One page per service, its replicas' pages one after the other: readHistogram adds up the
  // matching series, whichever replica wrote them.
  const services = [...new Set(CHECKOUT_STAGES.map((stage) => stage.service))];
  const pages = new Map(
    await Promise.all(
      services.map(async (service) => {
        const texts = await Promise.all(
          shop.instancesOf(service).map((instance) => fetchText(`${instance.httpUrl}/metrics`)),
        );
        return [service, texts.join('\n')] as const;
      }),
    ),
  );
  return CHECKOUT_STAGES.map((stage) =>
    readHistogram(pages.get(stage.service)!, stage.metric, (labels) =>
      isSeriesOfStage(stage, labels),
    ),
  );
}

/** The stages' observations between two readings. */
export function stageResults(
  after: readonly HistogramReading[],
  before: readonly HistogramReading[],
): StageResult[] {
  return CHECKOUT_STAGES.map(({ stage, service }, index) => {
    const delta = histogramDelta(after[index]!, before[index]!);
    const toMs = (seconds: number | undefined) =>
      seconds === undefined ? undefined : seconds * 1000;
    return {
      stage,
      service,
      count: delta.count,
      meanMs: delta.count > 0 ? (delta.sum / delta.count) * 1000 : undefined,
      p50Ms: toMs(histogramQuantile(0.5, delta)),
      p99Ms: toMs(histogramQuantile(0.99, delta)),
    };
  });
}

const requestsPerSecond = (part: ThroughputPart) => part.result.requestsPerSecond;

/** The run with the median throughput (the lower middle one of an even count). */
export function medianRun<Run extends { result: ThroughputResult }>(runs: readonly Run[]): Run {
  if (runs.length === 0) throw new RangeError('no runs');
  const sorted = [...runs].sort(
    (left, right) => left.result.requestsPerSecond - right.result.requestsPerSecond,
  );
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
  return text;
}

export async function firstProductId(baseUrl: string): Promise<string> {
  const page = JSON.parse(await fetchText(`${baseUrl}/api/v1/products?pageSize=1`)) as {
    products: { id: string }[];
  };
  const id = page.products[0]?.id;
  if (!id) throw new Error('the catalog is empty: the product service did not seed it');
  return id;
}

/** What `pnpm bench -- --tracing-only` measured: part (k) alone. */
export interface TracingReport extends ReportHeader {
  database: BenchDatabase;
  settings: ThroughputSettings;
  tracing: TracingResult;
}

/** Part (k) only: tracing off, at 10 % and at 100 %, as `--tracing-only` runs it. */
export async function runTracingBenchmarks(options: BenchOptions): Promise<TracingReport> {
  const startedAt = new Date();
  const machine = describeMachine();
  return withInfrastructure(options, async (kafka, postgres) => {
    const tracing = await measureTracing({
      kafkaBrokers: kafka.brokers,
      kafkaNamespace: `bench-${randomBytes(4).toString('hex')}-k.`,
      databaseEnv: postgres
        ? { DATABASE_URL: await postgres.createDatabase('bench_product_k') }
        : {},
      throughput: options.throughput,
      rounds: options.observabilityRounds,
      log: options.log,
    });
    return {
      ...reportHeader(options, startedAt, machine),
      database: options.database,
      settings: options.throughput,
      tracing,
    };
  });
}

/** What `pnpm bench -- --statements-only` measured: part (m). */
export interface StatementsReport extends ReportHeader {
  statements: StatementsResult;
}

/** Part (m) only: GetProduct with prepared and with unnamed statements, on PostgreSQL. */
export async function runStatementsBenchmarks(options: BenchOptions): Promise<StatementsReport> {
  const startedAt = new Date();
  const machine = describeMachine();
  return withInfrastructure({ ...options, database: 'postgres' }, async (kafka, postgres) => {
    const statements = await measureStatements({
      kafkaBrokers: kafka.brokers,
      kafkaNamespace: `bench-${randomBytes(4).toString('hex')}-m-`,
      createDatabase: (name) => postgres!.createDatabase(name),
      callers: options.throughput.connections,
      warmupSeconds: options.throughput.warmupSeconds,
      seconds: options.throughput.durationSeconds,
      rounds: options.observabilityRounds,
      log: options.log,
    });
    return { ...reportHeader(options, startedAt, machine), statements };
  });
}

export interface StartMemoryReport extends ReportHeader {
  startMemory: StartMemoryResult;
}

/** Part (l) only: what `pnpm start` holds, with the shop's PostgreSQL and with PGlite. */
export async function runStartMemoryBenchmarks(
  options: BenchOptions,
  idleSeconds: number,
): Promise<StartMemoryReport> {
  const startedAt = new Date();
  const machine = describeMachine();
  const startMemory = await measureStartMemory({
    rounds: options.observabilityRounds,
    idleSeconds,
    log: options.log,
  });
  return { ...reportHeader(options, startedAt, machine), startMemory };
}
