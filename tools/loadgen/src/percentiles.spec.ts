import { describe, expect, it } from '@jest/globals';
import { LatencyRecorder, percentile } from './percentiles.js';

describe('percentile', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('takes the nearest rank', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 90)).toBe(90);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it('never interpolates between samples', () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile([1, 2, 3, 1000], 99)).toBe(1000);
  });

  it('returns the only value of a single sample', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('rejects an empty sample and a percent outside 0–100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('LatencyRecorder', () => {
  it('reports nothing before the first sample', () => {
    expect(new LatencyRecorder().stats()).toBeUndefined();
  });

  it('sorts numerically and grows past its initial capacity', () => {
    const recorder = new LatencyRecorder();
    // Recorded in descending order: a lexicographic sort would put 1000 before 2.
    for (let value = 5000; value >= 1; value -= 1) recorder.record(value / 10);
    const stats = recorder.stats()!;
    expect(stats).toMatchObject({ count: 5000, min: 0.1, p50: 250, p90: 450, p99: 495, max: 500 });
    expect(stats.mean).toBeCloseTo(250.05, 6);
  });

  it('rejects negative and non-finite latencies', () => {
    const recorder = new LatencyRecorder();
    expect(() => recorder.record(-1)).toThrow(RangeError);
    expect(() => recorder.record(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(recorder.count).toBe(0);
  });
});
