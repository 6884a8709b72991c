import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { histogramDelta, histogramQuantile, readHistogram, readSample } from './exposition.js';
import { counter, histogram } from './instruments.js';

describe('readHistogram', () => {
  it('adds up the matching series of a histogram that prom-client wrote', async () => {
    const registry = new Registry();
    const stage = histogram(
      registry,
      'stage_seconds',
      'A stage.',
      ['event_type', 'relay'],
      [0.01, 0.1, 1],
    );
    stage.observe({ event_type: 'order.created.v1', relay: 'a' }, 0.005);
    stage.observe({ event_type: 'order.created.v1', relay: 'b' }, 0.05);
    stage.observe({ event_type: 'order.paid.v1', relay: 'a' }, 5);
    const text = await registry.metrics();

    const created = readHistogram(
      text,
      'stage_seconds',
      (labels) => labels.event_type === 'order.created.v1',
    );
    expect(created.count).toBe(2);
    expect(created.sum).toBeCloseTo(0.055);
    expect(created.buckets).toEqual([
      { le: 0.01, count: 1 },
      { le: 0.1, count: 2 },
      { le: 1, count: 2 },
      { le: Infinity, count: 2 },
    ]);
    expect(readHistogram(text, 'stage_seconds').count).toBe(3);
    expect(readHistogram(text, 'stage').count).toBe(0);
    expect(readHistogram(text, 'missing_seconds')).toEqual({ count: 0, sum: 0, buckets: [] });
  });
});

describe('readSample', () => {
  it('adds up the series of a counter that include the asked labels, whatever the others', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'order-service' });
    const moves = counter(registry, 'moves_total', 'Moves.', ['to', 'cause']);
    moves.inc({ to: 'REFUNDED', cause: 'customer_cancelled' }, 2);
    moves.inc({ to: 'REFUNDED', cause: 'refunded' });
    moves.inc({ to: 'PAID', cause: 'payment_succeeded' }, 5);
    const text = await registry.metrics();

    expect(readSample(text, 'moves_total', { to: 'REFUNDED', cause: 'customer_cancelled' })).toBe(
      2,
    );
    expect(readSample(text, 'moves_total', { to: 'REFUNDED' })).toBe(3);
    expect(readSample(text, 'moves_total')).toBe(8);
    expect(readSample(text, 'moves_total', { to: 'CANCELLED' })).toBe(0);
    expect(readSample(text, 'moves')).toBe(0);
  });
});

describe('histogramDelta and histogramQuantile', () => {
  const reading = (counts: number[]) => ({
    count: counts.at(-1)!,
    sum: 0,
    buckets: [0.01, 0.1, 1, Infinity].map((le, index) => ({ le, count: counts[index]! })),
  });

  it('subtracts an earlier reading bucket by bucket', () => {
    expect(
      histogramDelta(reading([3, 5, 9, 10]), reading([1, 1, 2, 2])).buckets.map((b) => b.count),
    ).toEqual([2, 4, 7, 8]);
  });

  it('interpolates within the bucket holding the rank, as histogram_quantile does', () => {
    // 10 observations: 4 ≤ 10 ms, 4 more ≤ 100 ms, 2 more ≤ 1 s.
    const observed = reading([4, 8, 10, 10]);
    expect(histogramQuantile(0.2, observed)).toBeCloseTo(0.005);
    expect(histogramQuantile(0.5, observed)).toBeCloseTo(0.01 + 0.09 * 0.25);
    expect(histogramQuantile(0.99, observed)).toBeCloseTo(0.1 + 0.9 * 0.95);
    expect(histogramQuantile(0.99, reading([0, 0, 1, 2]))).toBe(1);
    expect(histogramQuantile(0.5, reading([0, 0, 0, 0]))).toBeUndefined();
  });
});
