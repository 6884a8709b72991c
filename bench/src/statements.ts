// Part (m): what prepared statements save. The product service's GetProduct over gRPC, called
// directly (no gateway), first by one caller and then by as many as the throughput parts have connections, against two
// product services on one PostgreSQL server — DATABASE_PREPARED_STATEMENTS true and false, each
// with a database of its own — taking turns. Besides req/s it reads the CPU time each side spent
// per call from /proc: the product process, and the PostgreSQL backends serving its database.
import { reservePort } from '@mercato/harness';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient } from '@mercato/grpc';
import { LatencyRecorder, percentile } from '@mercato/loadgen';
import { productServiceEnv } from './benchmarks.js';
import { startService, type BenchProcess } from './processes.js';

/** The two variants, in the order each round runs them. */
export const STATEMENT_VARIANTS = [
  { id: 'prepared', title: 'prepared statements (the default)', prepared: true },
  {
    id: 'unnamed',
    title: 'unnamed statements (DATABASE_PREPARED_STATEMENTS=false)',
    prepared: false,
  },
] as const;

export type StatementVariantId = (typeof STATEMENT_VARIANTS)[number]['id'];

/** One turn of one variant. */
export interface StatementsRun {
  /** The median latency of a call with one caller (one call at a time), in milliseconds. */
  sequentialP50Ms: number;
  /** Calls per second of `callers` closed loops. */
  callsPerSecond: number;
  /** CPU time (user + system) per call of the product process, in microseconds. */
  productCpuMicros: number;
  /** CPU time per call of the PostgreSQL backends connected to the variant's database. */
  postgresCpuMicros: number;
}

export interface StatementsResult {
  callers: number;
  seconds: number;
  rounds: number;
  runs: Record<StatementVariantId, StatementsRun[]>;
  /** Each figure's median over the turns of a variant. */
  median: Record<StatementVariantId, StatementsRun>;
  /** prepared ÷ unnamed of each median. */
  ratios: { sequentialP50: number; calls: number; productCpu: number; postgresCpu: number };
}

export interface StatementsContext {
  kafkaBrokers: readonly string[];
  kafkaNamespace: string;
  /** A fresh database of this name on the harness's PostgreSQL server, as a URL. */
  createDatabase: (name: string) => Promise<string>;
  callers: number;
  warmupSeconds: number;
  seconds: number;
  rounds: number;
  log: (line: string) => void;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends connected to `database` (their process titles name it). */
function backendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (title.startsWith('postgres: ') && title.split(' ').includes(database))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The nearest-rank median, as every other figure of the bench is an exact percentile. */
const median = (values: readonly number[]): number =>
  percentile(Float64Array.from(values).sort(), 50);

interface Variant {
  id: StatementVariantId;
  service: BenchProcess;
  database: string;
  client: ReturnType<typeof createClient<ProductServiceClient>>;
  productId: string;
}

/** One caller, one call at a time, for `seconds`: the median latency. */
async function sequentialP50(variant: Variant, seconds: number): Promise<number> {
  const latencies = new LatencyRecorder();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const sentAt = performance.now();
    await variant.client.getProduct({ id: variant.productId });
    latencies.record(performance.now() - sentAt);
  }
  return latencies.stats()!.p50;
}

/**
 * A turn: one caller for `seconds` (latency), then `callers` closed loops of GetProduct for
 * `seconds` (throughput, and the CPU the calls cost).
 */
async function turn(variant: Variant, callers: number, seconds: number): Promise<StatementsRun> {
  const sequentialP50Ms = await sequentialP50(variant, seconds);
  // Backends the pool opens during the loops count from zero; one it closes meanwhile is left out.
  const backendsBefore = new Map(
    backendsOf(variant.database).map((pid) => [pid, cpuSeconds(pid)] as const),
  );
  const productBefore = cpuSeconds(variant.service.pid);
  const startedAt = performance.now();
  const until = startedAt + seconds * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        await variant.client.getProduct({ id: variant.productId });
        calls += 1;
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const productCpu = cpuSeconds(variant.service.pid) - productBefore;
  let postgresCpu = 0;
  for (const pid of backendsOf(variant.database))
    postgresCpu += cpuSeconds(pid) - (backendsBefore.get(pid) ?? 0);
  return {
    sequentialP50Ms,
    callsPerSecond: calls / elapsed,
    productCpuMicros: (productCpu / calls) * 1e6,
    postgresCpuMicros: (postgresCpu / calls) * 1e6,
  };
}

/** Runs part (m): `rounds` turns of each variant, prepared first, and the medians. */
export async function measureStatements(context: StatementsContext): Promise<StatementsResult> {
  const { log } = context;
  const variants: Variant[] = [];
  try {
    for (const { id, prepared } of STATEMENT_VARIANTS) {
      const url = await context.createDatabase(`bench_product_m_${id}`);
      const ports = { grpc: await reservePort(), http: await reservePort() };
      const service = await startService(
        `product (${id})`,
        '@mercato/product-service',
        {
          ...productServiceEnv(ports, context.kafkaBrokers, `${context.kafkaNamespace}${id}.`, {
            DATABASE_URL: url,
          }),
          DATABASE_PREPARED_STATEMENTS: String(prepared),
        },
        `http://127.0.0.1:${ports.http}/health/ready`,
      );
      const client = createClient(ProductServiceClient, {
        addresses: [`127.0.0.1:${ports.grpc}`],
        defaultDeadlineMs: 10_000,
      });
      const variant: Variant = {
        id,
        service,
        database: new URL(url).pathname.slice(1),
        client,
        productId: '',
      };
      // Listed before the look-up below, so that `finally` stops the service if it fails.
      variants.push(variant);
      const page = await client.listProducts({
        pageSize: 1,
        pageToken: '',
        category: '',
        query: '',
      });
      variant.productId = page.products[0]!.id;
    }
    for (const variant of variants) await turn(variant, context.callers, context.warmupSeconds);
    const runs: Record<StatementVariantId, StatementsRun[]> = { prepared: [], unnamed: [] };
    for (let round = 0; round < context.rounds; round += 1) {
      for (const variant of variants) {
        const run = await turn(variant, context.callers, context.seconds);
        runs[variant.id].push(run);
        log(
          `(m) ${variant.id}: one caller p50 ${run.sequentialP50Ms.toFixed(3)} ms; ` +
            `${Math.round(run.callsPerSecond)} calls/s, CPU per call: product ` +
            `${Math.round(run.productCpuMicros)} µs, PostgreSQL ${Math.round(run.postgresCpuMicros)} µs`,
        );
        await sleep(500);
      }
    }
    const medianOf = (id: StatementVariantId): StatementsRun => ({
      sequentialP50Ms: median(runs[id].map((run) => run.sequentialP50Ms)),
      callsPerSecond: median(runs[id].map((run) => run.callsPerSecond)),
      productCpuMicros: median(runs[id].map((run) => run.productCpuMicros)),
      postgresCpuMicros: median(runs[id].map((run) => run.postgresCpuMicros)),
    });
    const medians = { prepared: medianOf('prepared'), unnamed: medianOf('unnamed') };
    return {
      callers: context.callers,
      seconds: context.seconds,
      rounds: context.rounds,
      runs,
      median: medians,
      ratios: {
        sequentialP50: medians.prepared.sequentialP50Ms / medians.unnamed.sequentialP50Ms,
        calls: medians.prepared.callsPerSecond / medians.unnamed.callsPerSecond,
        productCpu: medians.prepared.productCpuMicros / medians.unnamed.productCpuMicros,
        postgresCpu: medians.prepared.postgresCpuMicros / medians.unnamed.postgresCpuMicros,
      },
    };
  } finally {
    for (const variant of variants) {
      variant.client.close();
      await variant.service.stop();
    }
  }
}

/** The markdown section of part (m). */
export function renderStatementsSection(result: StatementsResult): string {
  const row = (title: string, run: StatementsRun) =>
    `| ${title} | ${run.sequentialP50Ms.toFixed(3)} | ${Math.round(run.callsPerSecond).toLocaleString('en-US')} | ` +
    `${Math.round(run.productCpuMicros)} | ${Math.round(run.postgresCpuMicros)} |`;
  const turns = (id: StatementVariantId) =>
    result.runs[id].map((run) => Math.round(run.postgresCpuMicros)).join(', ');
  return [
    "## (m) Prepared statements: the product service's GetProduct on PostgreSQL",
    '',
    `Each turn: one caller, one call at a time, for ${result.seconds} s (its median latency), then ` +
      `${result.callers} callers in a loop for ${result.seconds} s; gRPC straight to the product service, ` +
      `${result.rounds} turns each, the two services taking turns; CPU time per call from /proc ` +
      `(the product process; the PostgreSQL backends of its database). Medians; PostgreSQL µs per ` +
      `call per turn: prepared ${turns('prepared')}, unnamed ${turns('unnamed')}.`,
    '',
    '| variant | one caller: p50 ms | calls/s | product CPU µs per call | PostgreSQL CPU µs per call |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...STATEMENT_VARIANTS.map(({ id, title }) => row(title, result.median[id])),
    '',
    `Prepared ÷ unnamed: one caller's p50 **${result.ratios.sequentialP50.toFixed(2)}**, ` +
      `calls/s **${result.ratios.calls.toFixed(2)}**, product CPU per call ` +
      `**${result.ratios.productCpu.toFixed(2)}**, PostgreSQL CPU per call **${result.ratios.postgresCpu.toFixed(2)}**.`,
    '',
  ].join('\n');
}
