import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import { sortedSamples } from './testing.js';

const BOUNDS = [0.005, 0.01, 0.1, 1];
const OBSERVATIONS: [string, string, number][] = [
  ['GET', '200', 0.001],
  ['GET', '200', 0.005],
  ['GET', '200', 0.05],
  ['GET', '404', 2],
  ['POST', '201', 0.2],
  ['GET', '200', 0.0101],
];

describe('FastHistogram', () => {
  it('exposes exactly the samples of a prom-client Histogram given the same observations', async () => {
    const reference = new Registry();
    reference.setDefaultLabels({ service: 'gateway' });
    const histogram = new Histogram({
      name: 'req_seconds',
      help: 'Request duration.',
      labelNames: ['method', 'status_code'],
      buckets: BOUNDS,
      registers: [reference],
    });
    const fast = new Registry();
    fast.setDefaultLabels({ service: 'gateway' });
    const subject = new FastHistogram(
      'req_seconds',
      'Request duration.',
      ['method', 'status_code'],
      BOUNDS,
      fast,
    );
    for (const [method, status, value] of OBSERVATIONS) {
      histogram.observe({ method, status_code: status }, value);
      subject.series(`${method} ${status}`, { method, status_code: status }).observe(value);
    }
    const expected = await reference.metrics();
    const actual = await fast.metrics();
    expect(sortedSamples(actual)).toEqual(sortedSamples(expected));
    expect(actual.split('\n').slice(0, 2)).toEqual(expected.split('\n').slice(0, 2));
  });

  it('forgets its observations on resetMetrics', async () => {
    const registry = new Registry();
    const subject = new FastHistogram(
      'req_seconds',
      'Request duration.',
      ['method'],
      BOUNDS,
      registry,
    );
    subject.series('GET', { method: 'GET' }).observe(0.5);
    registry.resetMetrics();
    expect(sortedSamples(await registry.metrics())).toEqual([]);
  });
});
