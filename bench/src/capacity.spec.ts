import { describe, expect, it } from '@jest/globals';
import { keptUp, nextCapacityRate, type CheckoutResult } from './benchmarks.js';
import { parseReplicas } from './cli.js';

const settings = { startOrdersPerSecond: 25, maxOrdersPerSecond: 400, refinements: 3 };

/** The rates the search tries when the shop keeps up with every rate up to `capacity`. */
function search(capacity: number): number[] {
  const history: { rate: number; keptUp: boolean }[] = [];
  for (let rate = nextCapacityRate(history, settings); rate !== undefined;) {
    history.push({ rate, keptUp: rate <= capacity });
    rate = nextCapacityRate(history, settings);
  }
  return history.map((step) => step.rate);
}

describe('nextCapacityRate', () => {
  it('doubles from the start while the shop keeps up, then halves the gap three times', () => {
    expect(search(130)).toEqual([25, 50, 100, 200, 150, 125, 138]);
  });

  it('stops at the highest rate allowed when the shop keeps up with all of them', () => {
    expect(search(10_000)).toEqual([25, 50, 100, 200, 400]);
  });

  it('searches below the start when not even the first rate is kept up with', () => {
    expect(search(10)).toEqual([25, 13, 7, 10]);
  });
});

describe('keptUp', () => {
  const run = (overrides: Partial<CheckoutResult>): CheckoutResult => ({
    ordersPerSecond: 50,
    durationSeconds: 8,
    achievedOrdersPerSecond: 50,
    placed: 400,
    byStatus: { PAID: 400 },
    failedJourneys: 0,
    droppedJourneys: 0,
    failures: {},
    non2xx: 0,
    recordedMs: { count: 400, min: 10, mean: 30, p50: 25, p90: 60, p99: 900, max: 1200 },
    observedMs: undefined,
    pollIntervalMs: 100,
    maxPollIntervalMs: 1000,
    stages: [],
    ...overrides,
  });

  it('needs nothing dropped or failed, every order paid and p99 within the limit', () => {
    expect(keptUp(run({}), 1_000)).toBe(true);
    expect(keptUp(run({}), 800)).toBe(false);
    expect(keptUp(run({ droppedJourneys: 1 }), 1_000)).toBe(false);
    expect(keptUp(run({ failedJourneys: 1 }), 1_000)).toBe(false);
    expect(keptUp(run({ byStatus: { PAID: 399, PENDING_PAYMENT: 1 } }), 1_000)).toBe(false);
    expect(keptUp(run({ placed: 0, byStatus: {}, recordedMs: undefined }), 1_000)).toBe(false);
  });
});

describe('parseReplicas', () => {
  it('reads service=count pairs and names what is wrong', () => {
    expect(parseReplicas('order=2,payment=2')).toEqual({ order: 2, payment: 2 });
    expect(parseReplicas('orders=2')).toMatch(/unknown service "orders"/);
    expect(parseReplicas('order=0')).toMatch(/order needs a count from 1 to 8, got "0"/);
    expect(parseReplicas('order')).toMatch(/got undefined/);
  });
});
