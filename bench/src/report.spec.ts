import { describe, expect, it } from '@jest/globals';
import { medianRun, type BenchReport, type ThroughputPart } from './benchmarks.js';
import { renderMarkdown } from './report.js';

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

const report: BenchReport = {
  version: 1,
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
  rounds: { c: [900, 1_000, 1_100], f: [1_250, 1_200, 1_300] },
  throughput: [
    part('a', 'raw node:http, same JSON', 20_000),
    part('b', 'gateway, product in-process', 2_000),
    part('c', 'gateway → gRPC → product', 1_000),
    part('f', '(c) with logs and metrics off', 1_250),
  ],
  ratios: { bOverA: 0.1, cOverA: 0.05, fOverA: 0.0625, observabilityOnOverOff: 0.8 },
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
  ],
};

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(report);

  it('names the machine and the commit', () => {
    expect(markdown).toContain(
      'Machine: Test CPU, 2 cores, 24.0 GiB RAM, Linux 6.1, Node.js v24.1.0; commit abc1234; load average 0.5 at the start\n',
    );
  });

  it('names the alternating runs behind (c) and (f)', () => {
    expect(markdown).toContain(
      '(c) and (f) are the median of 3 alternating runs (req/s: c 900, 1,000, 1,100; f 1,250, 1,200, 1,300)',
    );
  });

  it('prints one row per part with its ratio to raw node:http', () => {
    expect(markdown).toContain('| (a) | raw node:http, same JSON | 20,000 | 0.91 | 12.3 | 1.00 |');
    expect(markdown).toContain('| (c) | gateway → gRPC → product | 1,000 | 0.91 | 12.3 | 0.050 |');
    expect(markdown).toContain('b/a = **0.10**, c/a = **0.050**');
    expect(markdown).toContain('**0.80** (they cost 20 % of throughput)');
  });

  it('prints checkout latency per rate, its failures and memory', () => {
    expect(markdown).toContain('| 10 | 10.0 | 300 | 300 | 0 | 0 | 85.0 | 250.0 | 130.0 | 300.0 |');
    expect(markdown).toContain(
      '| 50 | 21.5 | 640 | 638 | 2 | 858 | 9142.0 | 17971.0 | 9872.0 | 18874.0 |',
    );
    expect(markdown).toContain('Failed journeys: 2 × checkout: not settled within 30 s (50/s).');
    expect(markdown).toContain('| instance | idle | end of the 50 orders/s run | peak during it |');
    expect(markdown).toContain('| gateway#0 | 100 | 150 | 160 |');
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
