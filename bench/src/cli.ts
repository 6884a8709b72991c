import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  runBenchmarks,
  runCheckoutBenchmarks,
  runStartMemoryBenchmarks,
  runStatementsBenchmarks,
  runTracingBenchmarks,
  type BenchOptions,
} from './benchmarks.js';
import { currentCommit, describeMachine, machineSlug } from './machine.js';
import { runProfile } from './profile.js';
import {
  renderCheckoutMarkdown,
  renderMarkdown,
  renderStartMemoryMarkdown,
  renderStatementsMarkdown,
  renderTracingMarkdown,
} from './report.js';

/** Where results are kept, to be committed: bench/results. */
export const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const USAGE = `Usage: pnpm bench [-- options]

Runs every benchmark once and writes bench/results/<date>-<machine>.json and .md.

  --quick           under 3 minutes instead of about 5: shorter parts, 2 rounds instead of 3
                    (rough figures, to check a change; the committed results are a full run)
  --no-checkout     skip the checkout latency, memory and capacity parts (d, e, j)
  --checkout-only   only those: the shop under order load, the stage breakdown and the capacity
                    search; writes <date>-<machine>-checkout[-<replicas>].json and .md
  --tracing-only    only part (k): the catalog read with tracing off, at 10 % and at 100 %;
                    writes <date>-<machine>-tracing.json and .md
  --start-memory-only
                    only part (l): what pnpm start holds at start-up and idle, with the shop's
                    PostgreSQL server and with PGlite (stop other shops and the harness's broker
                    first: a fresh clone starts its own); writes <date>-<machine>-start-memory.*
  --statements-only only part (m): the product service's GetProduct over gRPC with prepared and with
                    unnamed PostgreSQL statements, CPU per call of the service and of PostgreSQL;
                    writes <date>-<machine>-statements.json and .md
  --replicas LIST   replicas of the shop in (d), (e), (j), e.g. order=2,payment=2 (default 1 each)
  --database KIND   where the services keep data: postgres (default, as deployed; a server
                    from the harness) or pglite (embedded, as pnpm start)
  --connections N   keep-alive connections of the throughput parts (default 32)
  --out DIR         write the results there instead of bench/results
  --profile         instead: profile gateway → gRPC → product under load (node --cpu-prof) and
                    print where each process spends its CPU time (--out DIR keeps the
                    .cpuprofile files, for Chrome DevTools, in a new directory there per run)
  --profile-tracing RATIO
                    with --profile: trace at that share (0–1), catalog cache off, spans sent
                    to an OTLP receiver process (what part (k) measures)
  --help            this text
`;

/** Options of a full run and of a --quick one (1½–2 minutes on 2 cores, under the 3 of issue 12). */
export function benchOptions(
  quick: boolean,
  log: (line: string) => void,
): Omit<BenchOptions, 'commit'> {
  return {
    mode: quick ? 'quick' : 'full',
    database: 'postgres',
    observabilityRounds: quick ? 2 : 3,
    // Part (k) (issue 14, met) is not what a quick check of a change is for: one round.
    tracingRounds: quick ? 1 : 3,
    throughput: quick
      ? { connections: 32, warmupSeconds: 1, durationSeconds: 3 }
      : { connections: 32, warmupSeconds: 2, durationSeconds: 8 },
    // 10/s shows the latency of a shop that keeps up; 50/s is the target the issue sets.
    checkout: {
      ordersPerSecond: [10, 50],
      maxConcurrentJourneys: 256,
      durationSeconds: quick ? 8 : 30,
      pollIntervalMs: 100,
      maxPollIntervalMs: 1_000,
      // Idle: after the last service was ready, as a pod at rest is, and "after" the same pause
      // after the load; the services' memory reducers (D46) look every 5 s, so each has given back
      // its start-up peak (or the load's young generation) by then.
      idleSettleSeconds: quick ? 8 : 15,
      // Issue 13: the highest rate with nothing dropped and recorded p99 ≤ 1 s.
      capacity: {
        startOrdersPerSecond: 25,
        maxOrdersPerSecond: quick ? 200 : 400,
        refinements: quick ? 2 : 3,
        durationSeconds: quick ? 8 : 20,
        p99LimitMs: 1_000,
      },
    },
    log,
  };
}

const SHOP_SERVICES = ['gateway', 'product', 'order', 'payment'] as const;

/** `order=2,payment=2` as replicas per service, or what is wrong with it. */
export function parseReplicas(
  text: string,
): Partial<Record<(typeof SHOP_SERVICES)[number], number>> | string {
  const replicas: Partial<Record<(typeof SHOP_SERVICES)[number], number>> = {};
  for (const entry of text.split(',')) {
    const [service, count] = entry.split('=');
    const known = SHOP_SERVICES.find((name) => name === service);
    if (!known)
      return `unknown service ${JSON.stringify(service)} (one of ${SHOP_SERVICES.join(', ')})`;
    const value = Number(count);
    if (!Number.isInteger(value) || value < 1 || value > 8)
      return `${service} needs a count from 1 to 8, got ${JSON.stringify(count)}`;
    replicas[known] = value;
  }
  return replicas;
}

/** `pnpm bench`: runs, writes the JSON and markdown, prints the markdown. Returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm bench -- --quick` passes the `--` along.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        'no-checkout': { type: 'boolean', default: false },
        'checkout-only': { type: 'boolean', default: false },
        'tracing-only': { type: 'boolean', default: false },
        'start-memory-only': { type: 'boolean', default: false },
        'statements-only': { type: 'boolean', default: false },
        replicas: { type: 'string' },
        database: { type: 'string', default: 'postgres' },
        connections: { type: 'string' },
        out: { type: 'string' },
        profile: { type: 'boolean', default: false },
        'profile-tracing': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const options: BenchOptions = {
    ...benchOptions(values.quick, log),
    commit: currentCommit(REPOSITORY_ROOT),
  };
  if (values.connections !== undefined) {
    const connections = Number(values.connections);
    if (!Number.isInteger(connections) || connections < 1) {
      process.stderr.write('bench: --connections must be a positive integer\n');
      return 2;
    }
    options.throughput.connections = connections;
  }
  if (values.database !== 'pglite' && values.database !== 'postgres') {
    process.stderr.write('bench: --database must be pglite or postgres\n');
    return 2;
  }
  options.database = values.database;
  if (values.replicas !== undefined) {
    const replicas = parseReplicas(values.replicas);
    if (typeof replicas === 'string') {
      process.stderr.write(`bench: --replicas: ${replicas}\n`);
      return 2;
    }
    if (options.checkout) options.checkout.replicas = replicas;
  }
  if (values['no-checkout'] && values['checkout-only']) {
    process.stderr.write('bench: --no-checkout and --checkout-only exclude each other\n');
    return 2;
  }
  if (values['no-checkout']) options.checkout = null;

  if (values['checkout-only'] && options.checkout) {
    const report = await runCheckoutBenchmarks({ ...options, checkout: options.checkout });
    const markdown = renderCheckoutMarkdown(report);
    const directory = values.out ?? RESULTS_DIR;
    const replicas = Object.entries(options.checkout.replicas ?? {})
      .filter(([, count]) => count > 1)
      .map(([service, count]) => `-${service}${count}`)
      .join('');
    const name = `${report.startedAt.slice(0, 10)}-${machineSlug(report.machine)}-checkout${replicas}`;
    await writeResults(directory, name, report, markdown, log);
    return 0;
  }

  if (values['start-memory-only']) {
    const report = await runStartMemoryBenchmarks(options, values.quick ? 10 : 30);
    const name = `${report.startedAt.slice(0, 10)}-${machineSlug(report.machine)}-start-memory`;
    await writeResults(
      values.out ?? RESULTS_DIR,
      name,
      report,
      renderStartMemoryMarkdown(report),
      log,
    );
    return 0;
  }

  if (values['statements-only']) {
    const report = await runStatementsBenchmarks(options);
    const name = `${report.startedAt.slice(0, 10)}-${machineSlug(report.machine)}-statements`;
    await writeResults(
      values.out ?? RESULTS_DIR,
      name,
      report,
      renderStatementsMarkdown(report),
      log,
    );
    return 0;
  }

  if (values['tracing-only']) {
    const report = await runTracingBenchmarks(options);
    const name = `${report.startedAt.slice(0, 10)}-${machineSlug(report.machine)}-tracing`;
    await writeResults(values.out ?? RESULTS_DIR, name, report, renderTracingMarkdown(report), log);
    return 0;
  }

  if (values.profile) {
    const tracingSampleRatio =
      values['profile-tracing'] === undefined ? undefined : Number(values['profile-tracing']);
    if (tracingSampleRatio !== undefined && !(tracingSampleRatio >= 0 && tracingSampleRatio <= 1)) {
      process.stderr.write('bench: --profile-tracing takes a share from 0 to 1\n');
      return 2;
    }
    const profile = await runProfile({
      ...(tracingSampleRatio === undefined ? {} : { tracingSampleRatio }),
      throughput: values.quick
        ? { connections: options.throughput.connections, warmupSeconds: 0, durationSeconds: 3 }
        : { ...options.throughput, warmupSeconds: 0, durationSeconds: 10 },
      keepIn: values.out,
      log,
    });
    process.stdout.write(`\n${profile.markdown}`);
    return 0;
  }

  const machine = describeMachine();
  log(
    `${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node.js ${machine.node}`,
  );
  const report = await runBenchmarks(options);
  const markdown = renderMarkdown(report);
  const directory = values.out ?? RESULTS_DIR;
  const name =
    `${report.startedAt.slice(0, 10)}-${machineSlug(report.machine)}` +
    (report.mode === 'quick' ? '-quick' : '');
  await writeResults(directory, name, report, markdown, log);
  return 0;
}

/** Writes `<name>.json` and `<name>.md` into `directory` and prints the markdown. */
async function writeResults(
  directory: string,
  name: string,
  report: object,
  markdown: string,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  // A second run on the same day gets `-2`, `-3`, …: a committed result is never overwritten.
  const free = await freeName(directory, name);
  await writeFile(join(directory, `${free}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(directory, `${free}.md`), markdown);
  process.stdout.write(`\n${markdown}`);
  log(`wrote ${join(directory, free)}.json and .md`);
}

/** `name`, or `name-2`, `name-3`, … : the first with neither a .json nor a .md in `directory`. */
export async function freeName(directory: string, name: string): Promise<string> {
  const exists = (file: string) =>
    access(join(directory, file)).then(
      () => true,
      () => false,
    );
  for (let suffix = 1; ; suffix += 1) {
    const candidate = suffix === 1 ? name : `${name}-${suffix}`;
    if (!(await exists(`${candidate}.json`)) && !(await exists(`${candidate}.md`)))
      return candidate;
  }
}
