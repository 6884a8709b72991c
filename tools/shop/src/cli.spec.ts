import { describe, expect, it } from '@jest/globals';
import { describeDatabase, describeMemory, parseReplicas } from './cli.js';

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

  it('adds the proportional figure when the kernel gives it for every process', () => {
    expect(
      describeMemory([
        { name: 'order#0', pid: 10, rssBytes: 130 * 2 ** 20, pssBytes: 80 * 2 ** 20 },
        { name: 'postgres', pid: 11, rssBytes: 220 * 2 ** 20, pssBytes: 48 * 2 ** 20 },
      ]),
    ).toBe(
      'order#0 130 MiB, postgres 220 MiB: 350 MiB in all (RSS at start-up; 128 MiB with shared pages counted once)',
    );
  });
});

describe('describeDatabase', () => {
  const where = (directory: string) => directory.replace('/repo/', '');

  it("names the shop's own PostgreSQL server and where its data is", () => {
    expect(
      describeDatabase(
        {
          databases: { product: 'postgres', order: 'postgres', payment: 'postgres' },
          postgresServer: { version: 'PostgreSQL 15.14', directory: '/repo/.mercato/postgres' },
        },
        where,
      ),
    ).toBe('PostgreSQL 15.14, a database per service (.mercato/postgres)');
  });

  it('says when the services embed PGlite, and which do in a mix', () => {
    const without = { postgresServer: undefined };
    expect(
      describeDatabase(
        { ...without, databases: { product: 'pglite', order: 'pglite', payment: 'pglite' } },
        where,
      ),
    ).toBe('PGlite embedded in each service (~300 MiB each)');
    expect(
      describeDatabase(
        { ...without, databases: { product: 'postgres', order: 'pglite', payment: 'postgres' } },
        where,
      ),
    ).toBe('PostgreSQL for product, payment; PGlite embedded in order');
    expect(
      describeDatabase(
        { ...without, databases: { product: 'postgres', order: 'postgres', payment: 'postgres' } },
        where,
      ),
    ).toBe('PostgreSQL, a database per service');
  });
});
