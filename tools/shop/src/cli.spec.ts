import { describe, expect, it } from '@jest/globals';
import { describeMemory, parseReplicas } from './cli.js';

describe('parseReplicas', () => {
  it('reads counts per service', () => {
    expect(parseReplicas('order=2,payment=3')).toEqual({ order: 2, payment: 3 });
    expect(parseReplicas('')).toEqual({});
  });

  it('names the mistake', () => {
    expect(() => parseReplicas('orders=2')).toThrow('unknown service "orders"');
    expect(() => parseReplicas('order=0')).toThrow('order needs a count from 1 to 8, got "0"');
    expect(() => parseReplicas('order=x')).toThrow('got "x"');
  });
});

describe('describeMemory', () => {
  it('names each process with its RSS and adds them up', () => {
    expect(
      describeMemory([
        { name: 'product#0', pid: 10, rssBytes: 480 * 2 ** 20 },
        { name: 'gateway#0', pid: 11, rssBytes: 117.4 * 2 ** 20 },
        { name: 'kafka', pid: 12, rssBytes: 1_316 * 2 ** 20 },
      ]),
    ).toBe(
      'product#0 480 MiB, gateway#0 117 MiB, kafka 1,316 MiB: 1,913 MiB in all (RSS at start-up)',
    );
    expect(describeMemory([])).toBe('not measured (no /proc here)');
  });
});
