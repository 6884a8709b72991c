import { afterEach, describe, expect, it } from '@jest/globals';
import { isSerializationFailure, migrate, type AdvisoryLock, type Database } from '../src/index.js';
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
});
