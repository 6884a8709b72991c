import { afterEach, describe, expect, it } from '@jest/globals';
import {
  isSerializationFailure,
  migrate,
  type AdvisoryLock,
  type Database,
  type Queryable,
} from '../src/index.js';
import { postgresBackend } from './backends.js';

/** Behaviour only a server with many sessions has: lost connections and truly concurrent transactions. */
describe('PostgreSQL sessions', () => {
  const backend = postgresBackend();
  afterEach(() => backend.cleanup());

  async function terminate(db: Database, pid: number): Promise<void> {
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
  }

  function lockLost(lock: AdvisoryLock): Promise<unknown> {
    if (lock.signal.aborted) return Promise.resolve(lock.signal.reason);
    return new Promise((resolve) => {
      lock.signal.addEventListener('abort', () => resolve(lock.signal.reason), { once: true });
    });
  }

  it('signals a lost advisory lock when its connection dies, and another replica can take it', async () => {
    const db = await backend.open();
    const replica = await backend.replicaOf(db);
    const lock = await db.tryAdvisoryLock('outbox-relay');
    const { rows } = await replica.query<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );

    await terminate(replica, rows[0]?.pid ?? 0);
    const reason = await lockLost(lock!);
    const takenOver = await replica.tryAdvisoryLock('outbox-relay');

    expect(rows).toHaveLength(1);
    expect(reason).toBeInstanceOf(Error);
    expect(takenOver).not.toBeNull();
    await lock?.release();
    await takenOver?.release();
  });

  it('hands a held advisory lock to other replicas when its holder closes', async () => {
    const db = await backend.open();
    const replica = await backend.replicaOf(db);
    await db.tryAdvisoryLock('outbox-relay');

    const whileHeld = await replica.tryAdvisoryLock('outbox-relay');
    await db.close();
    const afterClose = await replica.tryAdvisoryLock('outbox-relay');

    expect(whileHeld).toBeNull();
    expect(afterClose).not.toBeNull();
    await afterClose?.release();
  });

  it('reports a real write conflict between transactions as a serialization failure', async () => {
    const db = await backend.open();
    await db.exec(
      'CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL); INSERT INTO counters VALUES (1, 0);',
    );

    const conflicting = db.transaction(
      async (tx) => {
        await tx.query('SELECT value FROM counters WHERE id = 1');
        await db.query('UPDATE counters SET value = value + 1 WHERE id = 1');
        await tx.query('UPDATE counters SET value = value + 10 WHERE id = 1');
      },
      { isolationLevel: 'repeatable read' },
    );
    const error = await conflicting.then(
      () => undefined,
      (failure: unknown) => failure,
    );

    expect(isSerializationFailure(error)).toBe(true);
    expect((await db.query('SELECT value FROM counters')).rows).toEqual([{ value: 1 }]);
  });

  it('fails a transaction whose connection dies and keeps the pool usable', async () => {
    const db = await backend.open({ poolSize: 2 });

    const failed = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await terminate(db, rows[0]?.pid ?? 0);
      await tx.query('SELECT 1');
    });

    await expect(failed).rejects.toThrow();
    const answers = await Promise.all([db.query('SELECT 1 AS one'), db.query('SELECT 2 AS two')]);
    expect(answers.map((answer) => answer.rows)).toEqual([[{ one: 1 }], [{ two: 2 }]]);
  });

  it('migrates with a pool of one connection, because the migration lock has a connection of its own', async () => {
    const db = await backend.open({ poolSize: 1 });

    const report = await migrate(db, [
      { version: 1, name: 'create_things', sql: 'CREATE TABLE things (id int);' },
    ]);

    expect(report).toEqual({ applied: [1], skipped: [] });
  });

  describe('prepared statements', () => {
    // pg_prepared_statements shows the session's own statements; inside one transaction every
    // query runs on the same connection.
    const executions = (tx: Queryable, statement: string) =>
      tx.query<{ runs: number }>(
        'SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements WHERE statement = $1',
        [statement],
      );

    it('parses a query once per connection and then only executes it', async () => {
      const db = await backend.open();
      const sql = 'SELECT $1::int * 2 AS doubled';

      const { results, prepared } = await db.transaction(async (tx) => {
        const results = [];
        for (const n of [1, 2, 3])
          results.push((await tx.query<{ doubled: number }>(sql, [n])).rows[0]?.doubled);
        return { results, prepared: (await executions(tx, sql)).rows };
      });

      expect(results).toEqual([2, 4, 6]);
      expect(prepared).toEqual([{ runs: 3 }]);
    });

    it('runs every query unnamed when prepared statements are turned off', async () => {
      const db = await backend.open({ preparedStatements: false });
      const sql = 'SELECT $1::int * 2 AS doubled';

      const { result, prepared } = await db.transaction(async (tx) => ({
        result: (await tx.query<{ doubled: number }>(sql, [21])).rows,
        prepared: (await tx.query('SELECT name FROM pg_prepared_statements')).rows,
      }));

      expect(result).toEqual([{ doubled: 42 }]);
      expect(prepared).toEqual([]);
    });

    it('answers from the table as it is now after a migration changed a column under a prepared statement', async () => {
      const db = await backend.open();
      await db.exec(
        "CREATE TABLE items (id text PRIMARY KEY, price int NOT NULL); INSERT INTO items VALUES ('a', 100);",
      );
      const sql = 'SELECT id, price FROM items WHERE id = $1';
      const before = (await db.query(sql, ['a'])).rows;

      // What a rolling deploy does to the replicas still running: the new version's migration
      // changes a column's type, so the statements they prepared describe rows that no longer exist.
      const migrated = await backend.replicaOf(db);
      await migrated.exec(
        'ALTER TABLE items ALTER COLUMN price TYPE bigint; UPDATE items SET price = 5000000000',
      );
      const after = (await db.query(sql, ['a'])).rows;
      const inTransaction = await db.transaction(async (tx) => (await tx.query(sql, ['a'])).rows);

      expect(before).toEqual([{ id: 'a', price: 100 }]);
      expect(after).toEqual([{ id: 'a', price: 5_000_000_000 }]);
      expect(inTransaction).toEqual([{ id: 'a', price: 5_000_000_000 }]);
    });

    it('fails a transaction that meets a statement a migration made stale, and the next one succeeds', async () => {
      const db = await backend.open();
      await db.exec(
        "CREATE TABLE items (id text PRIMARY KEY, price int NOT NULL); INSERT INTO items VALUES ('a', 100);",
      );
      const sql = 'SELECT price FROM items WHERE id = $1';
      const read = () => db.transaction(async (tx) => (await tx.query(sql, ['a'])).rows);
      await read();

      const migrated = await backend.replicaOf(db);
      await migrated.exec('ALTER TABLE items ALTER COLUMN price TYPE bigint');
      const first = await read().then(
        () => 'committed',
        (error: Error) => error.message,
      );
      const retried = await read();

      expect(first).toBe('cached plan must not change result type');
      expect(retried).toEqual([{ price: 100 }]);
    });

    it('reports the same error every time for a statement PostgreSQL cannot parse, and the connection stays usable', async () => {
      const db = await backend.open();
      const broken = 'SELEC 1';

      const outcomes = await db.transaction(async (tx) => {
        const errors: string[] = [];
        for (let i = 0; i < 2; i++) {
          await tx.exec('SAVEPOINT attempt');
          errors.push(
            await tx.query(broken).then(
              () => 'no error',
              (error: Error) => error.message,
            ),
          );
          await tx.exec('ROLLBACK TO SAVEPOINT attempt');
        }
        return { errors, after: (await tx.query<{ one: number }>('SELECT 1 AS one')).rows };
      });

      expect(outcomes.errors).toEqual([
        'syntax error at or near "SELEC"',
        'syntax error at or near "SELEC"',
      ]);
      expect(outcomes.after).toEqual([{ one: 1 }]);
    });
  });
});
