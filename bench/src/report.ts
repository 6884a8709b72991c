import {
  type StartMemoryReport,
  keptUp,
  type BenchReport,
  type CapacityResult,
  type CheckoutReport,
  type CheckoutResult,
  type ThroughputPartId,
  type StatementsReport,
  type TracingReport,
} from './benchmarks.js';
import type { PacedResult, ThroughputSettings } from './http-load.js';
import { START_MEMORY_VARIANTS } from './start-memory.js';
import { renderStatementsSection } from './statements.js';
import { TRACING_VARIANTS, type TracingResult, type TracingVariantId } from './tracing.js';

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined) =>
  value === undefined ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1);
const signedMs = (value: number) =>
  `${value > 0 ? '+' : value < 0 ? '−' : ''}${ms(Math.abs(value))}`;
// Small ratios keep a third decimal: 0.04 and 0.02 would hide a factor of two.
const ratio = (value: number) => value.toFixed(value < 0.1 ? 3 : 2);
const mebibytes = (bytes: number | undefined) =>
  bytes === undefined ? '—' : (bytes / 2 ** 20).toFixed(0);
const minutes = (seconds: number) =>
  `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;

/** The targets of issue 12, each with the figure of this run. */
export interface AcceptanceCheck {
  target: string;
  measured: string;
  limit: string;
  /** Undefined: not measured in this run, or printed without a limit. */
  met: boolean | undefined;
}

/** Each target of issue 12 against this run's figures (printed, never asserted). */
export function acceptanceChecks(report: BenchReport): AcceptanceCheck[] {
  const { ratios, hop, memory } = report;
  const checks: AcceptanceCheck[] = [
    {
      target: '(c) gateway → gRPC → product ÷ (a) raw node:http',
      measured: ratio(ratios.cOverA),
      limit: '≥ 0.40',
      met: ratios.cOverA >= 0.4,
    },
    {
      target: '(b) gateway, product in-process ÷ (a)',
      measured: ratio(ratios.bOverA),
      limit: '≥ 0.50',
      met: ratios.bOverA >= 0.5,
    },
    {
      target: "(g) bare Express 5 ÷ (a): the stack's own ceiling",
      measured: ratio(ratios.gOverA),
      limit: 'printed',
      met: undefined,
    },
    {
      target: 'logs + metrics on ÷ off, (c) ÷ (f)',
      measured: ratio(ratios.observabilityOnOverOff),
      limit: '≥ 0.95',
      met: ratios.observabilityOnOverOff >= 0.95,
    },
    {
      target: `p99 added by one gRPC hop at ${(hop.share * 100).toFixed(0)} % of (h)'s capacity (${integer(hop.ratePerSecond)} req/s), (i)`,
      measured: `${signedMs(hop.addedP99Ms)} ms`,
      limit: '≤ 1 ms',
      met: hop.addedP99Ms <= 1,
    },
  ];
  const measuredMemory = memory?.filter(
    (entry) => entry.idleBytes !== undefined && entry.loadedBytes !== undefined,
  );
  if (measuredMemory && measuredMemory.length > 0) {
    const highestIdle = measuredMemory.reduce((top, entry) =>
      entry.idleBytes! > top.idleBytes! ? entry : top,
    );
    const growth = (entry: (typeof measuredMemory)[number]) =>
      entry.loadedBytes! / entry.idleBytes!;
    const mostGrown = measuredMemory.reduce((top, entry) =>
      growth(entry) > growth(top) ? entry : top,
    );
    const lastRate = report.checkout?.at(-1)?.ordersPerSecond;
    checks.push(
      {
        target: `idle RSS per service, highest (${highestIdle.instance})`,
        measured: `${mebibytes(highestIdle.idleBytes)} MiB`,
        limit: '≤ 80 MiB',
        met: highestIdle.idleBytes! <= 80 * 2 ** 20,
      },
      {
        target: `RSS after the ${lastRate} orders/s run ÷ idle, highest (${mostGrown.instance})`,
        measured: ratio(growth(mostGrown)),
        limit: '≤ 1.5',
        met: growth(mostGrown) <= 1.5,
      },
    );
  } else {
    checks.push({
      target: 'idle RSS per service; RSS after the load run ÷ idle',
      measured: 'not measured (--no-checkout)',
      limit: '≤ 80 MiB; ≤ 1.5',
      met: undefined,
    });
  }
  const wallSeconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1_000;
  checks.push(
    report.mode === 'quick'
      ? {
          target: '`pnpm bench -- --quick` wall time (this run, without the build)',
          measured: minutes(wallSeconds),
          limit: '≤ 3 min',
          met: wallSeconds <= 180,
        }
      : {
          target: '`pnpm bench -- --quick` wall time',
          measured: `not this run (a full one, ${minutes(wallSeconds)})`,
          limit: '≤ 3 min',
          met: undefined,
        },
  );
  return checks;
}

const mark = (met: boolean | undefined) => (met === undefined ? '—' : met ? '✓' : '✗');

/** The report as markdown: the machine, acceptance, the throughput table, the hop, checkout and memory. */
export function renderMarkdown(report: BenchReport): string {
  const { machine, settings, hop } = report;
  const part = (id: ThroughputPartId) => report.throughput.find((entry) => entry.id === id);
  const a = part('a')!;
  const g = part('g');
  const rps = (id: ThroughputPartId) => part(id)?.result.requestsPerSecond ?? Number.NaN;
  const rounds = Object.entries(report.rounds)
    .map(([id, values]) => `${id} ${values.map(integer).join(', ')}`)
    .join('; ');
  const lines = [
    partTitle('benchmark', report),
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${machine.os}, Node.js ${machine.node}` +
      (report.commit ? `; commit ${report.commit}` : '') +
      `; load average ${machine.loadAverage.toFixed(1)} at the start` +
      (machine.loadAverage > machine.cores
        ? ' — **the machine was busy with other work: these figures understate it**'
        : ''),
    '',
    '## Acceptance (issue 12)',
    '',
    'Figures of this run, printed, not asserted in any test.' +
      (report.mode === 'quick'
        ? ` A --quick run: shorter parts and ${report.settings.observabilityRounds} rounds, so the figures are rough.`
        : ''),
    '',
    '| target | measured | target value | met |',
    '| --- | ---: | ---: | :---: |',
    ...acceptanceChecks(report).map(
      (check) => `| ${check.target} | ${check.measured} | ${check.limit} | ${mark(check.met)} |`,
    ),
    ...(report.checkout ? checkoutAcceptance(report) : []),
    '',
    '## Throughput of GET ' + settings.path,
    '',
    `autocannon, ${settings.connections} keep-alive connections, ${settings.durationSeconds} s per part after ` +
      `${settings.warmupSeconds} s of warm-up; latency of every response, exact percentiles. ` +
      'Every server is its own process; the load generator runs in another. ' +
      `(b), (c), (f) and (h) are the median of ${settings.observabilityRounds} alternating runs (req/s: ${rounds}). ` +
      "The gateways of (b), (c) and (f) get KAFKA_BROKERS and the product service's KAFKA_NAMESPACE, " +
      'as deployed, which turns their catalog cache on; (h) sets CATALOG_CACHE=false, so every ' +
      'request crosses gRPC to the product service. ' +
      'The product service reads ' +
      (settings.database === 'postgres'
        ? 'a PostgreSQL server (the deployed set-up).'
        : 'embedded PGlite (the `pnpm start` set-up).'),
    '',
    '| part | server | req/s | p50 ms | p99 ms | ÷ (a) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...report.throughput.map(
      ({ id, title, result }) =>
        `| (${id}) | ${title} | ${integer(result.requestsPerSecond)} | ${ms(result.latencyMs.p50)} | ` +
        `${ms(result.latencyMs.p99)} | ${ratio(result.requestsPerSecond / a.result.requestsPerSecond)} |`,
    ),
    '',
    `Ratios ÷ (a): g = **${ratio(report.ratios.gOverA)}**, b = **${ratio(report.ratios.bOverA)}**, ` +
      `c = **${ratio(report.ratios.cOverA)}**, h = **${ratio(report.ratios.hOverA)}**` +
      (g
        ? `; of bare Express 5's throughput (b) keeps ${ratio(rps('b') / rps('g'))} and (c) ${ratio(rps('c') / rps('g'))}. `
        : '. ') +
      `Logs + metrics on vs off (c ÷ f): **${ratio(report.ratios.observabilityOnOverOff)}** ` +
      (report.ratios.observabilityOnOverOff < 1
        ? `(they cost ${((1 - report.ratios.observabilityOnOverOff) * 100).toFixed(0)} % of throughput).`
        : '(no cost measurable above the noise of this run).'),
    '',
    `## (i) Latency of one gRPC hop at ${(hop.share * 100).toFixed(0)} % of capacity`,
    '',
    `(b) and (h), both with the catalog cache off (every request looks the product up), each driven at ` +
      `${integer(hop.ratePerSecond)} req/s — ${(hop.share * 100).toFixed(0)} % of (h)'s ` +
      `${integer(hop.capacityRequestsPerSecond)} req/s above — after ${settings.warmupSeconds} s at that rate, ` +
      `in ${hop.overGrpc.runP99Ms.length} turns of ${settings.durationSeconds} s each ` +
      `(b, h, b, h, …; both servers up throughout), the turns of each pooled ` +
      `(p99 per turn: b ${hop.inProcess.runP99Ms.map(ms).join(', ')}; h ${hop.overGrpc.runP99Ms.map(ms).join(', ')} ms). ` +
      'Open loop: request i is sent at i ÷ rate s whatever the others do, over at most ' +
      `${settings.connections} keep-alive connections; each latency runs from sending the request to ` +
      'the end of its response. "Sent late" is how far the load generator itself fell behind ' +
      "its schedule (autocannon's own rate limit is not used: it sends each second's requests in one burst).",
    '',
    '| part | server | req/s asked | req/s served | p50 ms | p99 ms | sent late p99 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    pacedRow('(b)', 'gateway, product in-process, cache off', hop.inProcess),
    pacedRow('(h)', 'gateway → gRPC → product, cache off', hop.overGrpc),
    '',
    `p99 added by the gRPC hop: **${signedMs(hop.addedP99Ms)} ms** (p50: ${signedMs(hop.addedP50Ms)} ms).`,
    ...(report.tracing ? tracingSection(report.tracing, settings) : []),
  ];
  lines.push(...checkoutSections({ ...report, database: settings.database }));
  return `${lines.join('\n')}\n`;
}

/** A `--checkout-only` report as markdown: the machine, issue 13's acceptance, then the parts. */
export function renderCheckoutMarkdown(report: CheckoutReport): string {
  const lines = [
    partTitle('checkout benchmark', report),
    '',
    `${machineLine(report)}.`,
    ...checkoutAcceptance(report),
    ...checkoutSections(report),
  ];
  return `${lines.join('\n')}\n`;
}

/** Issue 13's targets against this run. */
export function checkoutAcceptance(report: Pick<BenchReport, 'checkout' | 'capacity'>): string[] {
  const at50 = report.checkout?.find((run) => run.ordersPerSecond === 50);
  const capacity = report.capacity?.capacityOrdersPerSecond;
  const mark = (met: boolean | undefined) => (met === undefined ? '—' : met ? '✓' : '✗');
  const rows = [
    [
      '50 orders/s: dropped, failed',
      at50 ? `${at50.droppedJourneys}, ${at50.failedJourneys}` : 'not run',
      '0, 0',
      mark(at50 && at50.droppedJourneys === 0 && at50.failedJourneys === 0),
    ],
    [
      '50 orders/s: POST → PAID recorded p50',
      at50?.recordedMs ? `${ms(at50.recordedMs.p50)} ms` : 'not run',
      '≤ 50 ms',
      mark(at50?.recordedMs && at50.recordedMs.p50 <= 50),
    ],
    [
      '50 orders/s: POST → PAID recorded p99',
      at50?.recordedMs ? `${ms(at50.recordedMs.p99)} ms` : 'not run',
      '≤ 250 ms',
      mark(at50?.recordedMs && at50.recordedMs.p99 <= 250),
    ],
    [
      'capacity' +
        (report.capacity && Object.values(report.capacity.replicas).some((count) => count > 1)
          ? ` (--replicas ${Object.entries(report.capacity.replicas)
              .map(([service, count]) => `${service}=${count}`)
              .join(',')})`
          : ', one replica each'),
      report.capacity ? `${capacity ?? 'none'} orders/s` : 'not run',
      '≥ 100 orders/s',
      mark(report.capacity ? (capacity ?? 0) >= 100 : undefined),
    ],
  ];
  return [
    '',
    '## Acceptance (issue 13)',
    '',
    '| target | measured | target value | met |',
    '| --- | ---: | ---: | :---: |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** Parts (d), (e) and (j) as markdown: checkout per rate, stages, capacity and memory. */
export function checkoutSections(
  report: Pick<BenchReport, 'checkout' | 'memory' | 'capacity'> & { database: string },
): string[] {
  const { database } = report;
  const { checkout, memory } = report;
  const lines: string[] = [];
  if (checkout && checkout.length > 0) {
    const [first] = checkout;
    lines.push(
      '',
      `## Checkout: POST /orders → PAID, ${first!.durationSeconds} s per rate`,
      '',
      'The whole shop as separate processes (gateway, product, order, payment; ' +
        (database === 'postgres' ? 'a PostgreSQL server' : 'embedded PGlite') +
        '; one Kafka broker), fed by the load generator: each order journey lists the catalog, ' +
        'views a product, POSTs the order and polls it (first after ' +
        `${first!.pollIntervalMs} ms, then 1.5× later each time, at most every ${first!.maxPollIntervalMs} ms). ` +
        '"Recorded" ends when the order service stored PAID (the order\'s updatedAt), "polled" when ' +
        'the client saw it. Journeys due while 256 were still running are dropped: the shop fell behind.',
      '',
      '| orders/s asked | started/s | placed | paid | failed | dropped | recorded p50 ms | recorded p99 ms | polled p50 ms | polled p99 ms |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...checkout.map(
        (run) =>
          `| ${run.ordersPerSecond} | ${run.achievedOrdersPerSecond.toFixed(1)} | ${run.placed} | ` +
          `${run.byStatus.PAID ?? 0} | ${run.failedJourneys} | ${run.droppedJourneys} | ` +
          `${ms(run.recordedMs?.p50)} | ${ms(run.recordedMs?.p99)} | ${ms(run.observedMs?.p50)} | ${ms(run.observedMs?.p99)} |`,
      ),
    );
    const failures = checkout.flatMap((run) =>
      Object.entries(run.failures).map(
        ([reason, count]) => `${count} × ${reason} (${run.ordersPerSecond}/s)`,
      ),
    );
    if (failures.length > 0) lines.push('', `Failed journeys: ${failures.join('; ')}.`);
    for (const run of checkout) lines.push(...stageTable(run));
  }
  if (memory) {
    const lastRate = checkout?.at(-1)?.ordersPerSecond ?? '';
    lines.push(
      '',
      '## Memory (RSS, MiB)',
      '',
      "Idle: after start-up and a pause, before any load. After: once the run's orders have " +
        "settled and the same pause has passed, at rest again (each service's memory reducer, " +
        'D46, gives back what the load grew once it is quiet). Peak: the highest of the readings ' +
        'taken once a second during the run.',
      '',
      `| instance | idle | after the ${lastRate} orders/s run | peak during it | after ÷ idle |`,
      '| --- | ---: | ---: | ---: | ---: |',
      ...memory.map(
        (entry) =>
          `| ${entry.instance} | ${mebibytes(entry.idleBytes)} | ${mebibytes(entry.loadedBytes)} | ` +
          `${mebibytes(entry.peakBytes)} | ` +
          (entry.idleBytes && entry.loadedBytes !== undefined
            ? ratio(entry.loadedBytes / entry.idleBytes)
            : '—') +
          ' |',
      ),
    );
  }
  if (report.capacity) lines.push(...capacitySection(report.capacity, report.checkout ?? []));
  return lines;
}

function stageTable(run: CheckoutResult, where = ''): string[] {
  if (run.stages.length === 0) return [];
  return [
    '',
    `### Where a checkout's time goes at ${run.ordersPerSecond} orders/s${where ? ` (${where})` : ''}`,
    '',
    "Each stage's own duration, from the services' histograms (`CHECKOUT_STAGES`; every " +
      "replica's `/metrics` read before and after the run): the mean from their sums, p50 and " +
      'p99 estimated from their buckets as `histogram_quantile` does (so only as fine as the ' +
      'bucket bounds: 1, 2.5, 5, 10, 25, 50, 100, 250 ms …).',
    '',
    '| stage | service | count | mean ms | p50 ms | p99 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...run.stages.map(
      (stage) =>
        `| ${stage.stage} | ${stage.service} | ${stage.count} | ${ms(stage.meanMs)} | ` +
        `${ms(stage.p50Ms)} | ${ms(stage.p99Ms)} |`,
    ),
    `| **sum of the means** | | | ${ms(sumOf(run.stages.map((stage) => stage.meanMs)))} | | |`,
  ];
}

function capacitySection(
  capacity: CapacityResult,
  fixedRates: readonly CheckoutResult[],
): string[] {
  const replicas = Object.entries(capacity.replicas)
    .filter(([, count]) => count > 1)
    .map(([service, count]) => `${service}=${count}`)
    .join(',');
  const { settings } = capacity;
  const lines = [
    '',
    `## (j) Capacity: ${capacity.capacityOrdersPerSecond ?? 'below ' + settings.startOrdersPerSecond} orders/s` +
      ` with ${replicas ? `--replicas ${replicas}` : 'one replica each'}`,
    '',
    `The highest rate at which the shop kept up: no journey dropped or failed, every order PAID, ` +
      `recorded p99 ≤ ${integer(settings.p99LimitMs)} ms. From ${settings.startOrdersPerSecond} orders/s, doubled while ` +
      `it kept up, then the gap halved ${settings.refinements} times; ${settings.durationSeconds} s a step on the same ` +
      'shop, each step once the one before had been through every stage.' +
      reusedNote(capacity, fixedRates),
    '',
    '| orders/s asked | started/s | placed | paid | failed | dropped | recorded p50 ms | recorded p99 ms | kept up |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...capacity.steps.map(
      (run) =>
        `| ${run.ordersPerSecond} | ${run.achievedOrdersPerSecond.toFixed(1)} | ${run.placed} | ` +
        `${run.byStatus.PAID ?? 0} | ${run.failedJourneys} | ${run.droppedJourneys} | ` +
        `${ms(run.recordedMs?.p50)} | ${ms(run.recordedMs?.p99)} | ${keptUp(run, settings.p99LimitMs) ? '✓' : '✗'} |`,
    ),
  ];
  const atCapacity = capacity.steps.find(
    (run) => run.ordersPerSecond === capacity.capacityOrdersPerSecond,
  );
  if (atCapacity) lines.push(...stageTable(atCapacity, 'at the capacity'));
  return lines;
}

/** Which of the search's steps are the fixed-rate runs above, not run again. */
function reusedNote(capacity: CapacityResult, fixedRates: readonly CheckoutResult[]): string {
  // By value: a report read back from its JSON holds copies.
  const fixed = new Set(fixedRates.map((run) => JSON.stringify(run)));
  const reused = capacity.steps.filter((step) => fixed.has(JSON.stringify(step)));
  if (reused.length === 0) return '';
  const rates = reused.map((step) => step.ordersPerSecond).join(' and ');
  return ` The ${rates} orders/s ${reused.length === 1 ? 'step is the run' : 'steps are the runs'} above, not run again.`;
}

function sumOf(values: readonly (number | undefined)[]): number | undefined {
  return values.some((value) => value === undefined)
    ? undefined
    : values.reduce<number>((total, value) => total + value!, 0);
}

function pacedRow(id: string, title: string, result: PacedResult): string {
  return (
    `| ${id} | ${title} | ${integer(result.ratePerSecond)} | ${integer(result.requestsPerSecond)} | ` +
    `${ms(result.latencyMs.p50)} | ${ms(result.latencyMs.p99)} | ${ms(result.sendLagMs.p99)} |`
  );
}

/** Issue 14's target against part (k): 10 % sampled ÷ off ≥ 0.90. */
export function tracingAcceptance(tracing: TracingResult): string[] {
  const met = tracing.ratios.tenOverOff >= 0.9;
  return [
    '',
    '## Acceptance (issue 14)',
    '',
    '| target | measured | target value | met |',
    '| --- | ---: | ---: | :---: |',
    `| (k) catalog read with tracing at 10 % ÷ off | ${ratio(tracing.ratios.tenOverOff)} | ≥ 0.90 | ${mark(met)} |`,
    `| (k) catalog read with tracing at 100 % ÷ off | ${ratio(tracing.ratios.fullOverOff)} | (printed) | — |`,
  ];
}

/** Part (k) as markdown: the three variants' median turns and every turn. */
export function tracingSection(tracing: TracingResult, settings: ThroughputSettings): string[] {
  const turns = (id: TracingVariantId) =>
    tracing.runs[id].map((run) => integer(run.result.requestsPerSecond)).join(', ');
  return [
    ...tracingAcceptance(tracing),
    '',
    '## (k) What tracing costs',
    '',
    `GET ${tracing.path.replace(/[^/]+$/, '{id}')} through the gateway → gRPC → product, catalog cache off, so every ` +
      "request is four spans (the gateway's server and client spans, the product service's server span " +
      'and its query). Three gateways take turns in front of one product service, ' +
      `${tracing.rounds} rounds of off → 10 % → 100 %, ${settings.connections} connections, ` +
      `${settings.durationSeconds} s a turn after ${settings.warmupSeconds} s of warm-up; the median turn ` +
      'of each is shown. "Off" has no exporter at all; the others send OTLP/HTTP protobuf to a ' +
      'receiver in a process of its own that only counts bytes (a backend is not what is measured). ' +
      `Turns (req/s): off ${turns('off')}; 10 % ${turns('ten')}; 100 % ${turns('full')}.`,
    '',
    '| tracing | req/s | p50 ms | p99 ms | OTLP bytes per request | ÷ off |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...TRACING_VARIANTS.map(({ id, title }) => {
      const run = tracing.median[id];
      return (
        `| ${title} | ${integer(run.result.requestsPerSecond)} | ${ms(run.result.latencyMs.p50)} | ` +
        `${ms(run.result.latencyMs.p99)} | ${integer(run.exportedBytesPerRequest)} | ` +
        `${ratio(run.result.requestsPerSecond / tracing.median.off.result.requestsPerSecond)} |`
      );
    }),
  ];
}

/** The title line of a report: what it measured, when, and whether it was quick. */
function partTitle(what: string, report: Pick<TracingReport, 'startedAt' | 'mode'>): string {
  return (
    `# Mercato ${what}, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC` +
    (report.mode === 'quick' ? ' (--quick)' : '')
  );
}

/** A `--statements-only` report as markdown: part (m). */
export function renderStatementsMarkdown(report: StatementsReport): string {
  const lines = [
    partTitle('prepared statements benchmark', report),
    '',
    `${machineLine(report)}.`,
    '',
    renderStatementsSection(report.statements),
  ];
  return `${lines.join('\n')}`;
}

/** A `--tracing-only` report as markdown: part (k). */
export function renderTracingMarkdown(report: TracingReport): string {
  const lines = [
    partTitle('tracing benchmark', report),
    '',
    `${machineLine(report)}. The product service reads ` +
      (report.database === 'postgres' ? 'a PostgreSQL server.' : 'embedded PGlite.'),
    ...tracingSection(report.tracing, report.settings),
  ];
  return `${lines.join('\n')}\n`;
}

/** `Machine: …; commit …; load average … at the start`, the first line of a part-only report. */
function machineLine({ machine, commit }: Pick<TracingReport, 'machine' | 'commit'>): string {
  return (
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${machine.os}, Node.js ${machine.node}` +
    (commit ? `; commit ${commit}` : '') +
    `; load average ${machine.loadAverage.toFixed(1)} at the start`
  );
}

const mib = (bytes: number) => `${integer(bytes / 2 ** 20)} MiB`;

/** A `--start-memory-only` report as markdown: part (l). */
export function renderStartMemoryMarkdown(report: StartMemoryReport): string {
  const memory = report.startMemory;
  const { postgres, pglite } = memory.median;
  const budget = 1024 * 2 ** 20;
  const names = [...new Set(postgres.idle.map((process) => process.name))];
  for (const process of pglite.idle) if (!names.includes(process.name)) names.push(process.name);
  const cell = (
    processes: StartMemoryReport['startMemory']['median']['postgres']['idle'],
    name: string,
  ) => {
    const process = processes.find((candidate) => candidate.name === name);
    return process
      ? `${mib(process.rssBytes)}${process.pssBytes === undefined ? '' : ` (${mib(process.pssBytes)})`}`
      : '—';
  };
  const lines = [
    partTitle('pnpm start memory', report),
    '',
    `${machineLine(report)}.`,
    '',
    '| acceptance (issue 15) | measured | target | met |',
    '| --- | --- | --- | --- |',
    `| (l) pnpm start, all processes at idle (RSS) | ${mib(postgres.totals.idleRss)} | ≤ 1,024 MiB | ${mark(postgres.totals.idleRss <= budget)} |`,
    '',
    '## (l) What `pnpm start` holds',
    '',
    `The whole shop launched as \`pnpm start\` launches it on a fresh clone (a broker from the harness, ` +
      `no trace backend, a new data directory), ${memory.rounds} rounds of ` +
      START_MEMORY_VARIANTS.map((variant) => variant.title).join(' → ') +
      `; memory at start-up and after ${memory.idleSeconds} s idle. Median round by idle RSS in all. ` +
      'RSS counts a shared page in every process that maps it; PSS (in brackets) divides it among ' +
      'them, so PSS adds up to what the processes hold together.',
    '',
    `| process, idle | ${START_MEMORY_VARIANTS.map((variant) => variant.title).join(' | ')} |`,
    '| --- | --- | --- |',
    ...names.map(
      (name) => `| ${name} | ${cell(postgres.idle, name)} | ${cell(pglite.idle, name)} |`,
    ),
    `| **all, idle** | **${mib(postgres.totals.idleRss)}** (${mib(postgres.totals.idlePss)}) | **${mib(pglite.totals.idleRss)}** (${mib(pglite.totals.idlePss)}) |`,
    `| all, at start-up (the banner's figure) | ${mib(postgres.totals.atStartRss)} | ${mib(pglite.totals.atStartRss)} |`,
    `| ready in | ${(postgres.readyMs / 1000).toFixed(1)} s | ${(pglite.readyMs / 1000).toFixed(1)} s |`,
    '',
    `Idle RSS in all, PostgreSQL ÷ PGlite: ${ratio(memory.postgresOverPglite)}. Every round, idle RSS in all: ` +
      START_MEMORY_VARIANTS.map(
        (variant) =>
          `${variant.id} ${memory.runs[variant.id].map((run) => mib(run.totals.idleRss)).join(', ')}`,
      ).join('; ') +
      '.',
  ];
  return `${lines.join('\n')}\n`;
}
