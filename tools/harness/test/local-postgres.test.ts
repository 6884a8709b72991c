import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalPostgres, hasPostgresServer, startLocalPostgres } from '../src/index.js';
import { isProcessAlive } from '../src/processes.js';
import { query, START_TIMEOUT_MS } from './helpers.js';

describe('a local PostgreSQL server that keeps its data (pnpm start)', () => {
  let parent: string;
  let directory: string;
  const started: LocalPostgres[] = [];

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'mercato-local-pg-'));
    // The server may run as the postgres OS user, which must be able to reach the directory.
    await chmod(parent, 0o755);
    directory = join(parent, 'postgres');
  });

  afterAll(async () => {
    for (const server of started) await server.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it('is found on this machine', async () => {
    expect(await hasPostgresServer()).toBe(true);
  });

  it(
    'keeps a database and its rows from one start to the next',
    async () => {
      const first = await startLocalPostgres({ directory });
      started.push(first);
      expect(first.created).toBe(true);
      expect(first.version).toMatch(/^PostgreSQL \d+\.\d+$/);
      const url = await first.database('shop_order');
      await query(url, 'CREATE TABLE orders (id text PRIMARY KEY)');
      await query(url, "INSERT INTO orders VALUES ('order-1')");
      // Asking again for the same database is the same database.
      expect(await first.database('shop_order')).toBe(url);
      await first.stop();
      expect(await isProcessAlive(first.pid)).toBe(false);

      const second = await startLocalPostgres({ directory });
      started.push(second);
      expect(second.created).toBe(false);
      expect(await query(await second.database('shop_order'), 'SELECT id FROM orders')).toEqual([
        { id: 'order-1' },
      ]);
      await second.stop();
    },
    START_TIMEOUT_MS,
  );

  it(
    'stops a server that a killed run left on the same data before it starts',
    async () => {
      const leftover = await startLocalPostgres({ directory });
      started.push(leftover);
      // No stop: as if the shop had been killed with SIGKILL and its server had stayed up.
      const next = await startLocalPostgres({ directory });
      started.push(next);
      expect(await isProcessAlive(leftover.pid)).toBe(false);
      expect(await query(await next.database('shop_order'), 'SELECT id FROM orders')).toEqual([
        { id: 'order-1' },
      ]);
    },
    START_TIMEOUT_MS,
  );

  it('refuses a database name that is not a plain identifier', async () => {
    const server = started.at(-1)!;
    await expect(server.database('shop; DROP DATABASE postgres')).rejects.toThrow(
      'not a database name',
    );
  });
});
