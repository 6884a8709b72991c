import { describe, expect, it } from '@jest/globals';
import { medianRun, type BenchReport, type ThroughputPart } from './benchmarks.js';
import type { PacedResult } from './http-load.js';
import { acceptanceChecks, renderMarkdown } from './report.js';

const part = (id: ThroughputPart['id'], title: string, requestsPerSecond: number) => ({
  id,
  title,
  result: {
    requestsPerSecond,
    latencyMs: { count: 100, min: 0.2, mean: 1, p50: 0.91, p90: 2, p99: 12.34, max: 20 },
    responses: 100,
    non2xx: 0,
    errors: 0,
    durationSeconds: 10,
  },
});

const traced = (requestsPerSecond: number, exportedBytesPerRequest: number) => ({
  result: part('h', 'traced', requestsPerSecond).result,
  exportedBytesPerRequest,
});

const paced = (p50: number, p99: number): PacedResult => ({
  ratePerSecond: 300,
  requestsPerSecond: 299.5,
  latencyMs: { count: 2_396, min: 0.5, mean: p50, p50, p90: p99 / 2, p99, max: p99 * 2 },
  responses: 2_396,
  non2xx: 0,
  errors: 0,
  durationSeconds: 8,
  sendLagMs: { count: 2_396, min: 0, mean: 0.1, p50: 0.05, p90: 0.2, p99: 0.42, max: 3 },
  runP99Ms: [p99 - 0.25, p99, p99 + 0.5],
  errorKinds: {},
});

const report: BenchReport = {
  version: 2,
  mode: 'full',
  startedAt: '2025-11-22T10:15:00.000Z',
  finishedAt: '2025-11-22T10:20:00.000Z',
  commit: 'abc1234',
  machine: {
    cpuModel: 'Test CPU',
    cores: 2,
    memoryBytes: 24 * 2 ** 30,
    os: 'Linux 6.1',
    node: 'v24.1.0',
    loadAverage: 0.5,
  },
  settings: {
    connections: 32,
    database: 'postgres',
    observabilityRounds: 3,
    warmupSeconds: 3,
    durationSeconds: 10,
    path: '/api/v1/products/{id}',
    productId: 'prd_1',
    rateLimitMax: 1e9,
  },
  rounds: {
    b: [1_900, 2_000, 2_100],
    c: [900, 1_000, 1_100],
    f: [1_250, 1_200, 1_300],
    h: [950, 1_000, 1_050],
  },
  throughput: [
    part('a', 'raw node:http, same JSON', 20_000),
    part('g', 'bare Express 5, same JSON', 10_000),
    part('b', 'gateway, product in-process', 2_000),
    part('c', 'gateway → gRPC → product', 1_000),
    part('h', '(c) with the catalog cache off', 1_000),
    part('f', '(c) with logs and metrics off', 1_250),
  ],
  ratios: {
    gOverA: 0.5,
    bOverA: 0.1,
    cOverA: 0.05,
    hOverA: 0.05,
    fOverA: 0.0625,
    observabilityOnOverOff: 0.8,
  },
  hop: {
    capacityRequestsPerSecond: 1_000,
    share: 0.3,
    ratePerSecond: 300,
    inProcess: paced(1.2, 3.5),
    overGrpc: paced(1.6, 4.25),
    addedP50Ms: 0.4,
    addedP99Ms: 0.75,
  },
  tracing: {
    path: '/api/v1/products/prd_1',
    rounds: 3,
    runs: {
      off: [traced(2_000, 0), traced(2_100, 0), traced(1_900, 0)],
      ten: [traced(1_850, 210), traced(1_800, 190), traced(1_950, 200)],
      full: [traced(1_500, 2_050), traced(1_400, 1_950), traced(1_600, 2_000)],
    },
    median: { off: traced(2_000, 0), ten: traced(1_850, 210), full: traced(1_500, 2_050) },
    ratios: { tenOverOff: 0.925, fullOverOff: 0.75 },
  },
  checkout: [
    {
      ordersPerSecond: 10,
      durationSeconds: 30,
      achievedOrdersPerSecond: 10,
      placed: 300,
      byStatus: { PAID: 300 },
      failedJourneys: 0,
      droppedJourneys: 0,
      failures: {},
      non2xx: 0,
      recordedMs: { count: 300, min: 40, mean: 90, p50: 85, p90: 120, p99: 250, max: 400 },
      observedMs: { count: 300, min: 50, mean: 140, p50: 130, p90: 180, p99: 300, max: 450 },
      pollIntervalMs: 100,
      maxPollIntervalMs: 1000,
      stages: [],
    },
    {
      ordersPerSecond: 50,
      durationSeconds: 30,
      achievedOrdersPerSecond: 21.5,
      placed: 640,
      byStatus: { PAID: 638, PENDING_PAYMENT: 2 },
      failedJourneys: 2,
      droppedJourneys: 858,
      failures: { 'checkout: not settled within 30 s': 2 },
      non2xx: 0,
      recordedMs: {
        count: 638,
        min: 400,
        mean: 9000,
        p50: 9142,
        p90: 13000,
        p99: 17971,
        max: 20000,
      },
      observedMs: {
        count: 638,
        min: 500,
        mean: 9500,
        p50: 9872,
        p90: 14000,
        p99: 18874,
        max: 21000,
      },
      pollIntervalMs: 100,
      maxPollIntervalMs: 1000,
      stages: [
        {
          stage: 'relay order.created',
          service: 'order',
          count: 640,
          meanMs: 4.5,
          p50Ms: 3.2,
          p99Ms: 24,
        },
        { stage: 'charge', service: 'payment', count: 640, meanMs: 10.25, p50Ms: 9, p99Ms: 48 },
      ],
    },
  ],
  memory: [
    {
      instance: 'gateway#0',
      service: 'gateway',
      idleBytes: 100 * 2 ** 20,
      loadedBytes: 150 * 2 ** 20,
      peakBytes: 160 * 2 ** 20,
    },
    {
      instance: 'order#0',
      service: 'order',
      idleBytes: 70 * 2 ** 20,
      loadedBytes: 140 * 2 ** 20,
      peakBytes: 150 * 2 ** 20,
    },
  ],
};

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(report);

  it('names the machine and the commit', () => {
    expect(markdown).toContain(
      'Machine: Test CPU, 2 cores, 24.0 GiB RAM, Linux 6.1, Node.js v24.1.0; commit abc1234; load average 0.5 at the start\n',
    );
  });

  it('puts the acceptance table first, each target with its figure and ✓ or ✗', () => {
    expect(markdown.indexOf('## Acceptance (issue 12)')).toBeLessThan(
      markdown.indexOf('## Throughput'),
    );
    expect(markdown).toContain(
      '| (c) gateway → gRPC → product ÷ (a) raw node:http | 0.050 | ≥ 0.40 | ✗ |',
    );
    expect(markdown).toContain('| (b) gateway, product in-process ÷ (a) | 0.10 | ≥ 0.50 | ✗ |');
    expect(markdown).toContain(
      "| (g) bare Express 5 ÷ (a): the stack's own ceiling | 0.50 | printed | — |",
    );
    expect(markdown).toContain('| logs + metrics on ÷ off, (c) ÷ (f) | 0.80 | ≥ 0.95 | ✗ |');
    expect(markdown).toContain(
      "| p99 added by one gRPC hop at 30 % of (h)'s capacity (300 req/s), (i) | +0.75 ms | ≤ 1 ms | ✓ |",
    );
    expect(markdown).toContain(
      '| idle RSS per service, highest (gateway#0) | 100 MiB | ≤ 80 MiB | ✗ |',
    );
    expect(markdown).toContain(
      '| RSS after the 50 orders/s run ÷ idle, highest (order#0) | 2.00 | ≤ 1.5 | ✗ |',
    );
    expect(markdown).toContain(
      '| `pnpm bench -- --quick` wall time | not this run (a full one, 5 min 00 s) | ≤ 3 min | — |',
    );
  });

  it("judges a --quick run's wall time, and says when memory was not measured", () => {
    const quick = acceptanceChecks({
      ...report,
      mode: 'quick',
      finishedAt: '2025-11-22T10:17:05.000Z',
      memory: undefined,
    });
    expect(quick.at(-1)).toEqual({
      target: '`pnpm bench -- --quick` wall time (this run, without the build)',
      measured: '2 min 05 s',
      limit: '≤ 3 min',
      met: true,
    });
    expect(quick.at(-2)).toMatchObject({
      measured: 'not measured (--no-checkout)',
      met: undefined,
    });
    expect(
      acceptanceChecks({
        ...report,
        ratios: { ...report.ratios, cOverA: 0.4, bOverA: 0.55, observabilityOnOverOff: 0.95 },
      })
        .slice(0, 4)
        .map(({ met }) => met),
    ).toEqual([true, true, undefined, true]);
  });

  it('names the alternating runs behind (b), (c), (f) and (h)', () => {
    expect(markdown).toContain(
      '(b), (c), (f) and (h) are the median of 3 alternating runs (req/s: b 1,900, 2,000, 2,100; c 900, 1,000, 1,100; f 1,250, 1,200, 1,300; h 950, 1,000, 1,050)',
    );
  });

  it('prints one row per part with its ratio to raw node:http', () => {
    expect(markdown).toContain('| (a) | raw node:http, same JSON | 20,000 | 0.91 | 12.3 | 1.00 |');
    expect(markdown).toContain('| (g) | bare Express 5, same JSON | 10,000 | 0.91 | 12.3 | 0.50 |');
    expect(markdown).toContain('| (c) | gateway → gRPC → product | 1,000 | 0.91 | 12.3 | 0.050 |');
    expect(markdown).toContain(
      '| (h) | (c) with the catalog cache off | 1,000 | 0.91 | 12.3 | 0.050 |',
    );
    expect(markdown).toContain(
      'g = **0.50**, b = **0.10**, c = **0.050**, h = **0.050**; ' +
        "of bare Express 5's throughput (b) keeps 0.20 and (c) 0.10.",
    );
    expect(markdown).toContain('**0.80** (they cost 20 % of throughput)');
  });

  it('prints the latency of both sides of the gRPC hop at the fixed rate, and the difference', () => {
    expect(markdown).toContain('## (i) Latency of one gRPC hop at 30 % of capacity');
    expect(markdown).toContain(
      "driven at 300 req/s — 30 % of (h)'s 1,000 req/s above — after 3 s at that rate, in 3 turns of 10 s each",
    );
    expect(markdown).toContain('(p99 per turn: b 3.25, 3.50, 4.00; h 4.00, 4.25, 4.75 ms)');
    expect(markdown).toContain(
      '| (b) | gateway, product in-process, cache off | 300 | 300 | 1.20 | 3.50 | 0.42 |',
    );
    expect(markdown).toContain(
      '| (h) | gateway → gRPC → product, cache off | 300 | 300 | 1.60 | 4.25 | 0.42 |',
    );
    expect(markdown).toContain('p99 added by the gRPC hop: **+0.75 ms** (p50: +0.40 ms).');
  });

  it("prints what tracing costs: issue 14's target, the median turn of each variant and every turn", () => {
    expect(markdown).toContain(
      '| (k) catalog read with tracing at 10 % ÷ off | 0.93 | ≥ 0.90 | ✓ |',
    );
    expect(markdown).toContain(
      '| (k) catalog read with tracing at 100 % ÷ off | 0.75 | (printed) | — |',
    );
    expect(markdown).toContain('| tracing on, 10 % sampled | 1,850 | 0.91 | 12.3 | 210 | 0.93 |');
    expect(markdown).toContain('| tracing off (no exporter) | 2,000 | 0.91 | 12.3 | 0 | 1.00 |');
    expect(markdown).toContain(
      'Turns (req/s): off 2,000, 2,100, 1,900; 10 % 1,850, 1,800, 1,950; 100 % 1,500, 1,400, 1,600.',
    );
    expect(
      renderMarkdown({
        ...report,
        tracing: { ...report.tracing, ratios: { tenOverOff: 0.89, fullOverOff: 0.7 } },
      }),
    ).toContain('| (k) catalog read with tracing at 10 % ÷ off | 0.89 | ≥ 0.90 | ✗ |');
  });

  it('prints checkout latency per rate, its failures and memory', () => {
    expect(markdown).toContain('| 10 | 10.0 | 300 | 300 | 0 | 0 | 85.0 | 250.0 | 130.0 | 300.0 |');
    expect(markdown).toContain(
      '| 50 | 21.5 | 640 | 638 | 2 | 858 | 9142.0 | 17971.0 | 9872.0 | 18874.0 |',
    );
    expect(markdown).toContain('Failed journeys: 2 × checkout: not settled within 30 s (50/s).');
    expect(markdown).toContain(
      '| instance | idle | after the 50 orders/s run | peak during it | after ÷ idle |',
    );
    expect(markdown).toContain('| gateway#0 | 100 | 150 | 160 | 1.50 |');
    expect(markdown).toContain('| order#0 | 70 | 140 | 150 | 2.00 |');
  });

  it("prints where a checkout's time goes, stage by stage, for a rate that has stages", () => {
    expect(markdown).not.toContain("### Where a checkout's time goes at 10 orders/s");
    expect(markdown).toContain("### Where a checkout's time goes at 50 orders/s");
    expect(markdown).toContain('| relay order.created | order | 640 | 4.50 | 3.20 | 24.0 |');
    expect(markdown).toContain('| charge | payment | 640 | 10.3 | 9.00 | 48.0 |');
    expect(markdown).toContain('| **sum of the means** | | | 14.8 | | |');
  });

  it('names the capacity steps that are the fixed-rate runs above, also when read back from JSON', () => {
    const [ten, fifty] = report.checkout!;
    const step100 = { ...fifty!, ordersPerSecond: 100, placed: 700, byStatus: { PAID: 700 } };
    const capacity = {
      replicas: {},
      settings: {
        startOrdersPerSecond: 10,
        maxOrdersPerSecond: 200,
        refinements: 1,
        durationSeconds: 30,
        p99LimitMs: 1_000,
      },
      steps: [ten!, fifty!, step100],
      capacityOrdersPerSecond: 10,
    };
    const reused = 'The 10 and 50 orders/s steps are the runs above, not run again.';
    const withSearch = { ...report, capacity };
    expect(renderMarkdown(withSearch)).toContain(reused);
    expect(renderMarkdown(JSON.parse(JSON.stringify(withSearch)) as BenchReport)).toContain(reused);
    const fresh = renderMarkdown({ ...report, capacity: { ...capacity, steps: [step100] } });
    expect(fresh).toContain('## (j) Capacity');
    expect(fresh).not.toContain('not run again');
  });

  it('warns when the machine was busy before the run', () => {
    const busy = renderMarkdown({ ...report, machine: { ...report.machine, loadAverage: 5 } });
    expect(busy).toContain('the machine was busy with other work');
  });
});

describe('medianRun', () => {
  it('takes the middle run by throughput, the lower middle of an even count', () => {
    const runs = [1_300, 900, 1_100].map((rps) => part('c', 'c', rps));
    expect(medianRun(runs).result.requestsPerSecond).toBe(1_100);
    expect(medianRun(runs.slice(0, 2)).result.requestsPerSecond).toBe(900);
    expect(() => medianRun([])).toThrow(RangeError);
  });
});
