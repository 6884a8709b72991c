import { JOURNEY_KINDS } from './options.js';
import type { LatencyStats } from './percentiles.js';
import type { LoadProgress, LoadSummary } from './stats.js';

/** Lays out rows as aligned columns: the first column left-aligned, the others right-aligned. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const milliseconds = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const counts = (byName: Record<string, number>) =>
  Object.entries(byName)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');

/** One line of progress, e.g. for a terminal status line. */
export function formatProgress(progress: LoadProgress): string {
  const orders =
    progress.ordersPlaced > 0
      ? ` | orders ${progress.ordersPlaced}${Object.keys(progress.ordersByStatus).length > 0 ? ` (${counts(progress.ordersByStatus)})` : ''}`
      : '';
  return (
    `[${(progress.elapsedMs / 1000).toFixed(1).padStart(6)} s] journeys ${progress.journeysStarted} started, ` +
    `${progress.journeysCompleted} done, ${progress.journeysFailed} failed, ${progress.journeysInFlight} running` +
    (progress.journeysDropped > 0 ? `, ${progress.journeysDropped} dropped` : '') +
    ` | ${progress.requestsPerSecond.toFixed(1)} req/s, ${progress.non2xx} non-2xx${orders}`
  );
}

/** The summary of a run as text tables: journeys, latencies, statuses, orders and failures. */
export function formatSummary(summary: LoadSummary): string {
  const journeyRows = [
    ['journey', 'started', 'completed', 'failed', 'aborted'],
    ...JOURNEY_KINDS.filter((kind) => summary.journeys[kind].started > 0).map((kind) => {
      const journey = summary.journeys[kind];
      return [kind, journey.started, journey.completed, journey.failed, journey.aborted].map(
        String,
      );
    }),
    [
      'total',
      ...[
        summary.totals.started,
        summary.totals.completed,
        summary.totals.failed,
        summary.totals.aborted,
      ].map(String),
    ],
  ];
  const latencyRows = [
    ['latency (ms)', 'count', 'p50', 'p90', 'p99', 'max'],
    ...Object.entries<LatencyStats>(summary.latency).map(([name, stats]) => [
      name,
      String(stats.count),
      milliseconds(stats.p50),
      milliseconds(stats.p90),
      milliseconds(stats.p99),
      milliseconds(stats.max),
    ]),
  ];
  const { requests, orders } = summary;
  const lines = [
    `Load on ${summary.baseUrl}: ${(summary.elapsedMs / 1000).toFixed(1)} s, stopped by ${summary.stoppedBy}; ` +
      `${summary.achievedRate.toFixed(1)} journeys/s started (target ${summary.targetRate})` +
      (summary.totals.dropped > 0
        ? `, ${summary.totals.dropped} dropped at the concurrency cap`
        : ''),
    '',
    textTable(journeyRows),
    '',
    latencyRows.length > 1 ? textTable(latencyRows) : 'no responses',
    '',
    `requests: ${requests.total}; status ${counts(requests.byStatus) || 'none'}; ` +
      `non-2xx ${requests.non2xx}, timeouts ${requests.timeouts}, network errors ${requests.networkErrors}` +
      (requests.resentOnClosedConnection > 0
        ? `, resent on a closed connection ${requests.resentOnClosedConnection}`
        : '') +
      (requests.aborted > 0 ? `, aborted ${requests.aborted}` : ''),
    `orders: ${orders.placed} placed${orders.placed > 0 ? ` (${counts(orders.byStatus)})` : ''}`,
  ];
  if (Object.keys(summary.failures).length > 0)
    lines.push(
      `failures: ${Object.entries(summary.failures)
        .sort(([, a], [, b]) => b - a)
        .map(([reason, count]) => `${reason} × ${count}`)
        .join('; ')}`,
    );
  return lines.join('\n');
}
