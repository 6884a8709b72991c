import type { BenchReport } from './benchmarks.js';

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined) =>
  value === undefined ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1);
// Small ratios keep a third decimal: 0.04 and 0.02 would hide a factor of two.
const ratio = (value: number) => value.toFixed(value < 0.1 ? 3 : 2);
const mebibytes = (bytes: number | undefined) =>
  bytes === undefined ? '—' : (bytes / 2 ** 20).toFixed(0);

/** The report as markdown: the machine, the ratio table, checkout latency and memory. */
export function renderMarkdown(report: BenchReport): string {
  const { machine, settings } = report;
  const a = report.throughput.find((part) => part.id === 'a')!;
  const lines = [
    `# Mercato benchmark, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${machine.os}, Node.js ${machine.node}` +
      (report.commit ? `; commit ${report.commit}` : '') +
      `; load average ${machine.loadAverage.toFixed(1)} at the start` +
      (machine.loadAverage > machine.cores
        ? ' — **the machine was busy with other work: these figures understate it**'
        : ''),
    '',
    '## Throughput of GET ' + settings.path,
    '',
    `autocannon, ${settings.connections} keep-alive connections, ${settings.durationSeconds} s per part after ` +
      `${settings.warmupSeconds} s of warm-up; latency of every response, exact percentiles. ` +
      'Every server is its own process; the load generator runs in a third. ' +
      `(c) and (f) are the median of ${settings.observabilityRounds} alternating runs ` +
      `(req/s: c ${report.rounds.c.map(integer).join(', ')}; f ${report.rounds.f.map(integer).join(', ')}). ` +
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
    `Ratios: b/a = **${ratio(report.ratios.bOverA)}**, c/a = **${ratio(report.ratios.cOverA)}**. ` +
      `Logs + metrics on vs off (c ÷ f): **${ratio(report.ratios.observabilityOnOverOff)}** ` +
      (report.ratios.observabilityOnOverOff < 1
        ? `(they cost ${((1 - report.ratios.observabilityOnOverOff) * 100).toFixed(0)} % of throughput).`
        : '(no cost measurable above the noise of this run).'),
  ];
  const { checkout, memory } = report;
  if (checkout && checkout.length > 0) {
    const [first] = checkout;
    lines.push(
      '',
      `## Checkout: POST /orders → PAID, ${first!.durationSeconds} s per rate`,
      '',
      'The whole shop as separate processes (gateway, product, order, payment; ' +
        (settings.database === 'postgres' ? 'a PostgreSQL server' : 'embedded PGlite') +
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
  }
  if (memory) {
    lines.push(
      '',
      '## Memory (RSS, MiB)',
      '',
      `| instance | idle | end of the ${checkout?.at(-1)?.ordersPerSecond ?? ''} orders/s run | peak during it |`,
      '| --- | ---: | ---: | ---: |',
      ...memory.map(
        (entry) =>
          `| ${entry.instance} | ${mebibytes(entry.idleBytes)} | ${mebibytes(entry.loadedBytes)} | ${mebibytes(entry.peakBytes)} |`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
