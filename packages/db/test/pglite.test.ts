import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrate, type Database, type Migration } from '../src/index.js';
import { createTestPglite } from '../src/testing.js';

const CREATE_ORDERS: Migration = {
  version: 1,
  name: 'create_orders',
  sql: "CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL DEFAULT 'PENDING_PAYMENT');",
};

describe('PGlite with a data directory', () => {
  let parent: string;
  const opened: Database[] = [];

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'mercato-db-pglite-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await rm(parent, { recursive: true, force: true });
  });

  async function open(dataDir: string): Promise<Database> {
    const db = await createDatabase({ dataDir });
    opened.push(db);
    return db;
  }

  it('keeps what was committed, and nothing that was rolled back, across close and reopen', async () => {
    const dataDir = join(parent, 'nested', 'data');
    const first = await open(dataDir);
    await migrate(first, [CREATE_ORDERS]);
    await first.transaction((tx) => tx.query('INSERT INTO orders (id) VALUES ($1)', ['order-1']));
    await expect(
      first.transaction(async (tx) => {
        await tx.query('INSERT INTO orders (id) VALUES ($1)', ['order-2']);
        throw new Error('abandoned checkout');
      }),
    ).rejects.toThrow('abandoned checkout');
    await first.close();

    const reopened = await open(dataDir);
    const report = await migrate(reopened, [CREATE_ORDERS]);
    const { rows } = await reopened.query('SELECT id, status FROM orders');

    expect(reopened.kind).toBe('pglite');
    expect(report).toEqual({ applied: [], skipped: [1] });
    expect(rows).toEqual([{ id: 'order-1', status: 'PENDING_PAYMENT' }]);
  });
});

describe('PGlite transactions', () => {
  const opened: Database[] = [];

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });

  async function openWithOrders(): Promise<Database> {
    const db = await createTestPglite();
    opened.push(db);
    await migrate(db, [CREATE_ORDERS]);
    return db;
  }

  it('refuses a query on the database from inside a transaction instead of waiting for itself', async () => {
    const db = await openWithOrders();

    const outcome = db.transaction(async (tx) => {
      await tx.query('INSERT INTO orders (id) VALUES ($1)', ['order-1']);
      await db.query('SELECT count(*) FROM orders');
    });

    await expect(outcome).rejects.toThrow('Use the transaction handle inside transaction()');
    expect((await db.query('SELECT id FROM orders')).rows).toEqual([]);
  });

  it('runs a query from elsewhere after the open transaction, never inside it', async () => {
    const db = await openWithOrders();
    let finishTransaction = (): void => undefined;
    const transactionMayFinish = new Promise<void>((resolve) => {
      finishTransaction = resolve;
    });
    let inserted = (): void => undefined;
    const rowInserted = new Promise<void>((resolve) => {
      inserted = resolve;
    });

    const transaction = db.transaction(async (tx) => {
      await tx.query('INSERT INTO orders (id) VALUES ($1)', ['order-1']);
      inserted();
      await transactionMayFinish;
      throw new Error('payment declined');
    });
    await rowInserted;
    const countFromElsewhere = db.query<{ orders: number }>(
      'SELECT count(*) AS orders FROM orders',
    );
    finishTransaction();

    await expect(transaction).rejects.toThrow('payment declined');
    expect((await countFromElsewhere).rows).toEqual([{ orders: 0 }]);
  });
});
