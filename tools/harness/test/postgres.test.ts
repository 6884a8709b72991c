import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  acquirePostgres,
  createTestDatabase,
  isPostgresReachable,
  type PostgresLease,
  postgresStatus,
  runEnsureCommand,
  stopPostgres,
} from '../src/index.js';
import { isProcessAlive } from '../src/processes.js';
import { query, START_TIMEOUT_MS, textBuffer } from './helpers.js';

async function databaseExists(serverUrl: string, databaseUrl: string): Promise<boolean> {
  const name = new URL(databaseUrl).pathname.slice(1);
  return (
    (await query(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1
  );
}

describe('PostgreSQL from acquirePostgres()', () => {
  let lease: PostgresLease;

  beforeAll(async () => {
    lease = await acquirePostgres();
  }, START_TIMEOUT_MS);
  afterAll(() => lease?.release());

  it('gives each caller its own database to run SQL in', async () => {
    const orders = await lease.createDatabase('orders');
    const payments = await lease.createDatabase('payments');
    expect(orders).not.toBe(payments);

    await query(orders, 'CREATE TABLE orders (id text PRIMARY KEY, total_minor integer NOT NULL)');
    await query(orders, 'INSERT INTO orders VALUES ($1, $2)', ['order-1', 4_200]);

    expect(await query(orders, 'SELECT id, total_minor FROM orders')).toEqual([
      { id: 'order-1', total_minor: 4_200 },
    ]);
    expect(await query(payments, "SELECT to_regclass('orders') AS orders")).toEqual([
      { orders: null },
    ]);
  });

  it('drops the databases a lease created when it is released', async () => {
    const other = await acquirePostgres();
    const database = await other.createDatabase('short-lived');
    expect(await databaseExists(lease.url, database)).toBe(true);

    await other.release();

    expect(await databaseExists(lease.url, database)).toBe(false);
    expect(await isPostgresReachable(lease.url)).toBe(true);
  });

  it('creates databases from a bare server URL (what test workers get as TEST_DATABASE_URL)', async () => {
    const database = await createTestDatabase(lease.url, 'worker suite');

    expect(new URL(database).pathname).toMatch(/^\/worker_suite_[0-9a-f]{8}$/);
    expect(await query(database, 'SELECT current_database() AS name')).toEqual([
      { name: new URL(database).pathname.slice(1) },
    ]);
  });
});

// A private state directory: these tests start and stop their own servers.
describe('a harness PostgreSQL server shared through leases', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'harness-postgres-sharing-'));
    // Searchable by others, as the default state directory is: run as root, PostgreSQL runs as `postgres`.
    await chmod(stateDir, 0o755);
  });
  afterAll(async () => {
    await stopPostgres({ stateDir });
    await rm(stateDir, { recursive: true, force: true });
  });

  it(
    'is started once for simultaneous callers and stopped by the last release',
    async () => {
      const options = { stateDir, externalUrl: null };
      const [first, second] = await Promise.all([
        acquirePostgres(options),
        acquirePostgres(options),
      ]);
      expect(second.url).toBe(first.url);
      const pid = (await postgresStatus({ stateDir }))?.instance.pid ?? 0;

      await first.release();
      expect(await isPostgresReachable(second.url)).toBe(true);

      await second.release();
      expect(await isProcessAlive(pid)).toBe(false);
      expect(await isPostgresReachable(second.url, 500)).toBe(false);
    },
    START_TIMEOUT_MS,
  );

  it(
    'is kept running by `ensure-postgres` until `ensure-postgres stop`',
    async () => {
      const started = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('postgres', [], started, { stateDir })).toBe(0);
      const url = started.stdout.text().trim();
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

      const lease = await acquirePostgres({ stateDir, externalUrl: null });
      await lease.release();
      expect(await isPostgresReachable(url)).toBe(true);

      const status = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('postgres', ['status'], status, { stateDir })).toBe(0);
      expect(status.stdout.text().trim()).toBe(url);
      expect(status.stderr.text()).toContain('pinned until stop');

      const stop = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('postgres', ['stop'], stop, { stateDir })).toBe(0);
      expect(await isPostgresReachable(url, 500)).toBe(false);
    },
    START_TIMEOUT_MS,
  );
});
