import { describe, expect, it } from '@jest/globals';
import { parseReplicas } from './cli.js';

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
