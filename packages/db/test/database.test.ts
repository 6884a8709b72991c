import { afterEach, describe, expect, it } from '@jest/globals';
import {
  isForeignKeyViolation,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
  type Database,
} from '../src/index.js';
import { testBackends } from './backends.js';

const CREATE_ACCOUNTS = `
  CREATE TABLE accounts (
    id      int  PRIMARY KEY,
    email   text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
    balance int  NOT NULL DEFAULT 0
  );
  CREATE TABLE account_notes (
    account_id int  NOT NULL REFERENCES accounts (id),
    note       text NOT NULL
  );`;

async function accountIds(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM accounts ORDER BY id');
  return rows.map((row) => row.id);
}

async function errorFrom(action: Promise<unknown>): Promise<unknown> {
  try {
    await action;
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to fail');
}

describe.each(testBackends())('$kind', (backend) => {
  afterEach(() => backend.cleanup());

  async function openWithAccounts(): Promise<Database> {
    const db = await backend.open();
    await db.exec(CREATE_ACCOUNTS);
    return db;
  }

  it('reports which engine it is and answers ping', async () => {
    const db = await backend.open();

    expect(db.kind).toBe(backend.kind);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  describe('query', () => {
    it('binds parameters and returns rows with the count of rows returned or changed', async () => {
      const db = await openWithAccounts();

      const inserted = await db.query(
        'INSERT INTO accounts (id, email) VALUES ($1, $2), ($3, $4)',
        [1, 'ada@example.com', 2, 'bob@example.com'],
      );
      const updated = await db.query(
        'UPDATE accounts SET balance = balance + $1 WHERE id = $2',
        [50, 2],
      );
      const selected = await db.query<{ id: number; email: string; balance: number }>(
        'SELECT id, email, balance FROM accounts WHERE balance >= $1',
        [0],
      );

      expect(inserted).toEqual({ rows: [], rowCount: 2 });
      expect(updated.rowCount).toBe(1);
      expect(selected.rows).toEqual([
        { id: 1, email: 'ada@example.com', balance: 0 },
        { id: 2, email: 'bob@example.com', balance: 50 },
      ]);
      expect(selected.rowCount).toBe(2);
    });

    it('reports a row count of 0 for DDL', async () => {
      const db = await backend.open();

      await expect(db.query('CREATE TABLE empty_table (id int)')).resolves.toEqual({
        rows: [],
        rowCount: 0,
      });
    });

    it('rejects several statements in one query, and runs them through exec', async () => {
      const db = await backend.open();

      const error = await errorFrom(db.query('CREATE TABLE a (id int); CREATE TABLE b (id int)'));
      await db.exec('CREATE TABLE a (id int); CREATE TABLE b (id int); INSERT INTO b VALUES (1)');

      expect(sqlState(error)).toBe('42601');
      await expect(db.query('SELECT id FROM b')).resolves.toEqual({
        rows: [{ id: 1 }],
        rowCount: 1,
      });
    });

    it('returns every common column type as the same JavaScript value', async () => {
      const db = await backend.open();

      const { rows } = await db.query(
        `SELECT 42::int2 AS small, 7::int4 AS regular, 9007199254740991::int8 AS big, 12.50::numeric(10, 2) AS price,
                1.5::float8 AS ratio, true AS flag, 'text'::text AS label, NULL::text AS nothing,
                '8b1c1f0e-2a4e-4f5e-9d43-0d5c2c3b8e11'::uuid AS id, '2024-02-29'::date AS day,
                '2024-02-29 12:30:00.250+00'::timestamptz AS at, '{"a": [1, 2]}'::jsonb AS document,
                '\\x00ff'::bytea AS bytes, ARRAY[1, 2]::int4[] AS ints, ARRAY[3, 4]::int8[] AS bigs,
                ARRAY['x', NULL]::text[] AS labels, count(*) AS counted`,
      );

      expect(rows).toEqual([
        {
          small: 42,
          regular: 7,
          big: Number.MAX_SAFE_INTEGER,
          price: '12.50',
          ratio: 1.5,
          flag: true,
          label: 'text',
          nothing: null,
          id: '8b1c1f0e-2a4e-4f5e-9d43-0d5c2c3b8e11',
          day: '2024-02-29',
          at: new Date('2024-02-29T12:30:00.250Z'),
          document: { a: [1, 2] },
          bytes: Buffer.from([0x00, 0xff]),
          ints: [1, 2],
          bigs: [3, 4],
          labels: ['x', null],
          counted: 1,
        },
      ]);
    });

    it('refuses to round an int8 beyond the safe integer range', async () => {
      const db = await backend.open();

      const error = await errorFrom(db.query('SELECT 9007199254740993::int8 AS too_big'));

      expect(error).toBeInstanceOf(RangeError);
      await expect(db.query('SELECT 9007199254740993::int8::text AS exact')).resolves.toEqual({
        rows: [{ exact: '9007199254740993' }],
        rowCount: 1,
      });
    });

    it('accepts the same parameter values on both engines', async () => {
      const db = await backend.open();
      const at = new Date('2024-03-01T08:00:00.000Z');

      const { rows } = await db.query(
        `SELECT $1::jsonb AS document, $2::timestamptz AS at, $3::bytea AS bytes, $4::int[] AS ids,
                $5::text[] AS labels, $6::int8 AS big, $7::bool AS flag, $8::text AS nothing`,
        [
          JSON.stringify({ items: [1, 2] }),
          at,
          Buffer.from([1, 2]),
          [5, 6],
          ['a', 'b'],
          10n,
          false,
          null,
        ],
      );

      expect(rows).toEqual([
        {
          document: { items: [1, 2] },
          at,
          bytes: Buffer.from([1, 2]),
          ids: [5, 6],
          labels: ['a', 'b'],
          big: 10,
          flag: false,
          nothing: null,
        },
      ]);
    });
  });

  describe('transaction', () => {
    it('commits what the function wrote and returns its result', async () => {
      const db = await openWithAccounts();

      const result = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO accounts (id, email) VALUES (1, $1)', ['ada@example.com']);
        await tx.query('INSERT INTO account_notes (account_id, note) VALUES (1, $1)', ['welcome']);
        return 'done';
      });

      expect(result).toBe('done');
      expect(await accountIds(db)).toEqual([1]);
    });

    it('rolls back everything and rethrows the same error when the function throws', async () => {
      const db = await openWithAccounts();
      const failure = new Error('payment provider unreachable');

      const error = await errorFrom(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO accounts (id, email) VALUES (1, $1)', ['ada@example.com']);
          throw failure;
        }),
      );

      expect(error).toBe(failure);
      expect(await accountIds(db)).toEqual([]);
    });

    it('rolls back when a statement fails inside it', async () => {
      const db = await openWithAccounts();

      const error = await errorFrom(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO accounts (id, email) VALUES (1, $1)', ['ada@example.com']);
          await tx.query('INSERT INTO accounts (id, email) VALUES (2, $1)', ['ada@example.com']);
        }),
      );

      expect(isUniqueViolation(error)).toBe(true);
      expect(await accountIds(db)).toEqual([]);
    });

    it('does not commit when the function swallowed a failed statement', async () => {
      const db = await openWithAccounts();

      const error = await errorFrom(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO accounts (id, email) VALUES (1, $1)', ['ada@example.com']);
          await tx
            .query('INSERT INTO accounts (id, email) VALUES (1, $1)', ['bob@example.com'])
            .catch(() => undefined);
        }),
      );

      expect(sqlState(error)).toBe('25P02');
      expect(await accountIds(db)).toEqual([]);
    });

    it('runs scripts through exec inside the transaction', async () => {
      const db = await openWithAccounts();

      await errorFrom(
        db.transaction(async (tx) => {
          await tx.exec(
            "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com'); CREATE TABLE extra (id int)",
          );
          throw new Error('abandon');
        }),
      );

      expect(await accountIds(db)).toEqual([]);
      expect(sqlState(await errorFrom(db.query('SELECT * FROM extra')))).toBe('42P01');
    });

    it('applies the requested isolation level and access mode', async () => {
      const db = await openWithAccounts();

      const isolation = await db.transaction(
        async (tx) =>
          (
            await tx.query<{ level: string }>('SELECT current_setting($1) AS level', [
              'transaction_isolation',
            ])
          ).rows,
        { isolationLevel: 'serializable' },
      );
      const readOnlyWrite = await errorFrom(
        db.transaction(
          (tx) => tx.query("INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')"),
          {
            readOnly: true,
          },
        ),
      );

      expect(isolation).toEqual([{ level: 'serializable' }]);
      expect(sqlState(readOnlyWrite)).toBe('25006');
    });

    it('locks rows with SELECT … FOR UPDATE', async () => {
      const db = await openWithAccounts();
      await db.query("INSERT INTO accounts (id, email, balance) VALUES (1, 'a@example.com', 100)");

      const balance = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ balance: number }>(
          'SELECT balance FROM accounts WHERE id = $1 FOR UPDATE',
          [1],
        );
        await tx.query('UPDATE accounts SET balance = $1 WHERE id = $2', [
          (rows[0]?.balance ?? 0) - 30,
          1,
        ]);
        return (await tx.query<{ balance: number }>('SELECT balance FROM accounts WHERE id = 1'))
          .rows[0]?.balance;
      });

      expect(balance).toBe(70);
    });

    it('refuses queries on the transaction handle once the transaction has ended', async () => {
      const db = await openWithAccounts();
      let escaped: { query(sql: string): Promise<unknown> } | undefined;

      await db.transaction(async (tx) => {
        escaped = tx;
      });

      await expect(escaped?.query('SELECT 1')).rejects.toThrow('Transaction is closed');
    });
  });

  describe('error helpers', () => {
    it('recognise unique violations, optionally by constraint name', async () => {
      const db = await openWithAccounts();
      await db.query("INSERT INTO accounts (id, email) VALUES (1, 'ada@example.com')");

      const duplicateEmail = await errorFrom(
        db.query("INSERT INTO accounts (id, email) VALUES (2, 'ada@example.com')"),
      );
      const duplicateId = await errorFrom(
        db.query("INSERT INTO accounts (id, email) VALUES (1, 'bob@example.com')"),
      );

      expect(isUniqueViolation(duplicateEmail)).toBe(true);
      expect(isUniqueViolation(duplicateEmail, 'accounts_email_key')).toBe(true);
      expect(isUniqueViolation(duplicateId, 'accounts_email_key')).toBe(false);
      expect(isUniqueViolation(duplicateId, 'accounts_pkey')).toBe(true);
      expect(isSerializationFailure(duplicateEmail)).toBe(false);
    });

    it('recognise foreign-key violations', async () => {
      const db = await openWithAccounts();

      const error = await errorFrom(
        db.query("INSERT INTO account_notes (account_id, note) VALUES (99, 'orphan')"),
      );

      expect(isForeignKeyViolation(error)).toBe(true);
      expect(isUniqueViolation(error)).toBe(false);
    });

    it('recognise serialization failures raised by the server', async () => {
      const db = await backend.open();

      const error = await errorFrom(
        db.exec(
          "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$",
        ),
      );

      expect(isSerializationFailure(error)).toBe(true);
    });
  });

  describe('advisory locks', () => {
    it('grant a lock to one holder at a time, and to the next once released', async () => {
      const db = await backend.open();
      const replica = await backend.replicaOf(db);

      const first = await db.tryAdvisoryLock('outbox-relay');
      const second = await replica.tryAdvisoryLock('outbox-relay');
      const otherKey = await replica.tryAdvisoryLock('another-job');
      await first?.release();
      const afterRelease = await replica.tryAdvisoryLock('outbox-relay');

      expect(first).not.toBeNull();
      expect(second).toBeNull();
      expect(otherKey).not.toBeNull();
      expect(afterRelease).not.toBeNull();
      expect(first?.signal.aborted).toBe(true);
      expect(afterRelease?.signal.aborted).toBe(false);
      await otherKey?.release();
      await afterRelease?.release();
    });

    it('hold the lock in a session of its own, so pooled queries and transactions carry on', async () => {
      const db = await openWithAccounts();

      const lock = await db.tryAdvisoryLock(42n);
      await db.transaction((tx) =>
        tx.query("INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')"),
      );

      expect(lock?.key).toBe(42n);
      expect(await accountIds(db)).toEqual([1]);
      await lock?.release();
    });

    it('make withAdvisoryLock callers wait for each other', async () => {
      const db = await backend.open();
      const replica = await backend.replicaOf(db);
      const events: string[] = [];
      let releaseFirst = (): void => undefined;
      const firstMayFinish = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstEntered = (): void => undefined;
      const firstHasLock = new Promise<void>((resolve) => {
        firstEntered = resolve;
      });

      const first = db.withAdvisoryLock('nightly-report', async () => {
        events.push('first:start');
        firstEntered();
        await firstMayFinish;
        events.push('first:end');
      });
      await firstHasLock;
      const second = replica.withAdvisoryLock('nightly-report', async () => {
        events.push('second:start');
        return 'second result';
      });
      const taken = await replica.tryAdvisoryLock('nightly-report');
      releaseFirst();

      await expect(second).resolves.toBe('second result');
      await first;
      expect(taken).toBeNull();
      expect(events).toEqual(['first:start', 'first:end', 'second:start']);
    });

    it('end when the database closes', async () => {
      const db = await backend.open();
      const lock = await db.tryAdvisoryLock('closing');

      await db.close();

      expect(lock?.signal.aborted).toBe(true);
      await expect(lock?.release()).resolves.toBeUndefined();
    });
  });

  it('rejects queries after close', async () => {
    const db = await backend.open();

    await db.close();

    await expect(db.ping()).rejects.toThrow();
  });

  describe('listen', () => {
    /** Resolves with how many notifications arrived once `count` did, or after `ms`. */
    function collector() {
      let seen = 0;
      const waiters: Array<() => void> = [];
      return {
        onNotification: () => {
          seen += 1;
          for (const wake of waiters.splice(0)) wake();
        },
        get seen() {
          return seen;
        },
        async atLeast(count: number, ms = 5_000): Promise<number> {
          const deadline = Date.now() + ms;
          while (seen < count && Date.now() < deadline)
            await new Promise<void>((resolve) => {
              waiters.push(resolve);
              setTimeout(resolve, 50);
            });
          return seen;
        },
      };
    }

    it('wakes a listener of another handle on commit, not before, and not for a rollback', async () => {
      const db = await backend.open();
      const writer = await backend.replicaOf(db);
      const wakes = collector();
      const listening = await db.listen('accounts_changed', wakes.onNotification);

      await writer
        .transaction(async (tx) => {
          await tx.query("SELECT pg_notify('accounts_changed', '')");
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await writer.transaction(async (tx) => {
        await tx.query("SELECT pg_notify('accounts_changed', 'a')");
        await tx.query("SELECT pg_notify('other_channel', '')");
        // Not committed yet: nothing may have arrived.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(wakes.seen).toBe(0);
      });

      expect(await wakes.atLeast(1)).toBe(1);
      await listening.close();
      await writer.query("SELECT pg_notify('accounts_changed', 'b')");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(wakes.seen).toBe(1);
      expect(listening.signal.aborted).toBe(true);
    });

    it('ends its signal when the database closes', async () => {
      const db = await backend.open();
      const listening = await db.listen('accounts_changed', () => undefined);
      expect(listening.signal.aborted).toBe(false);
      await db.close();
      await expect(
        new Promise<boolean>((resolve) => {
          if (listening.signal.aborted) resolve(true);
          listening.signal.addEventListener('abort', () => resolve(true));
          setTimeout(() => resolve(false), 2_000);
        }),
      ).resolves.toBe(true);
    });

    it('refuses a channel that is not a plain identifier', async () => {
      const db = await backend.open();
      await expect(db.listen('x; DROP TABLE accounts', () => undefined)).rejects.toThrow(
        /lowercase SQL identifier/,
      );
    });
  });
});
