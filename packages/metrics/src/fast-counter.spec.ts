import { describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { FastCounter } from './fast-counter.js';
import { sortedSamples } from './testing.js';

const INCREMENTS: [string, string, number][] = [
  ['getProduct', 'hit', 1],
  ['getProduct', 'hit', 1],
  ['listProducts', 'miss', 1],
  ['getProduct', 'bypass', 3],
  ['getProduct', 'hit', 1],
];

describe('FastCounter', () => {
  it('exposes exactly the samples of a prom-client Counter given the same increments', async () => {
    const reference = new Registry();
    reference.setDefaultLabels({ service: 'gateway' });
    const counter = new Counter({
      name: 'lookups_total',
      help: 'Catalog lookups.',
      labelNames: ['operation', 'result'],
      registers: [reference],
    });
    const fast = new Registry();
    fast.setDefaultLabels({ service: 'gateway' });
    const subject = new FastCounter(
      'lookups_total',
      'Catalog lookups.',
      ['operation', 'result'],
      fast,
    );
    for (const [operation, result, by] of INCREMENTS) {
      counter.inc({ operation, result }, by);
      subject.series(`${operation} ${result}`, { operation, result }).inc(by);
    }
    const expected = await reference.metrics();
    const actual = await fast.metrics();
    expect(sortedSamples(actual)).toEqual(sortedSamples(expected));
    expect(actual.split('\n').slice(0, 2)).toEqual(expected.split('\n').slice(0, 2));
  });

  it('refuses to go down, and forgets its counts on resetMetrics', async () => {
    const registry = new Registry();
    const subject = new FastCounter('lookups_total', 'Catalog lookups.', ['operation'], registry);
    const series = subject.series('get', { operation: 'get' });
    expect(() => series.inc(-1)).toThrow(RangeError);
    series.inc();
    expect(sortedSamples(await registry.metrics())).toEqual(['lookups_total{operation="get"} 1']);
    registry.resetMetrics();
    expect(sortedSamples(await registry.metrics())).toEqual([]);
  });
});
