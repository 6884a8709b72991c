import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import { InProcessLocks, advisoryLockKey } from './advisory-lock.js';
import { inChildSpan, tracedQuery } from '@mercato/tracing';
import {
  Sql,
  TRANSACTION_SPAN,
  TRANSACTION_SPAN_OPTIONS,
  channelName,
  setTransactionSql,
} from './sql.js';
import { pgliteTypeParsers } from './type-parsers.js';
import {
  type AdvisoryLock,
  type Listening,
  type AdvisoryLockKey,
  type Database,
  type DatabaseLogger,
  type DatabaseOptions,
  type Queryable,
  type QueryResult,
  type TransactionOptions,
} from './types.js';

type PgliteTarget = Pick<Transaction, 'query' | 'exec'>;

function toResult<Row>(result: Results<Row>): QueryResult<Row> {
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

async function runQuery<Row extends object>(
  target: PgliteTarget,
  sql: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  return toResult(await tracedQuery(sql, () => target.query<Row>(sql, [...params])));
}

async function runScript(target: PgliteTarget, script: string): Promise<void> {
  await target.exec(script);
}

/**
 * PGlite is one PostgreSQL backend in this process: a single session. Transactions run one at a
 * time (PGlite queues them, and queues other queries behind an open transaction), so there are no
 * concurrent transactions to conflict, and advisory locks are arbitrated in process.
 */
class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #pglite: PGlite;
  readonly #logger: DatabaseLogger | undefined;
  readonly #locks = new InProcessLocks();
  readonly #heldLocks = new Set<AbortController>();
  readonly #listenings = new Set<AbortController>();
  /** Marks code running inside one of this database's transactions, to refuse work that would deadlock. */
  readonly #transactionScope = new AsyncLocalStorage<{ open: boolean }>();

  constructor(pglite: PGlite, logger: DatabaseLogger | undefined) {
    this.#pglite = pglite;
    this.#logger = logger;
  }

  async query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    this.#refuseInsideTransaction();
    return runQuery<Row>(this.#pglite, sql, params);
  }

  async exec(script: string): Promise<void> {
    this.#refuseInsideTransaction();
    return runScript(this.#pglite, script);
  }

  async transaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    this.#refuseInsideTransaction();
    return inChildSpan(TRANSACTION_SPAN, TRANSACTION_SPAN_OPTIONS, () =>
      this.#transaction(fn, options),
    );
  }

  #transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#pglite.transaction(async (pgliteTx) => {
      const scope = { open: true };
      try {
        return await this.#transactionScope.run(scope, async () => {
          const setTransaction = setTransactionSql(options);
          if (setTransaction) await pgliteTx.query(setTransaction);
          return fn({
            query: (sql, params) => runQuery(pgliteTx, sql, params),
            exec: (script) => runScript(pgliteTx, script),
          });
        });
      } finally {
        scope.open = false;
      }
    });
  }

  async tryAdvisoryLock(key: AdvisoryLockKey): Promise<AdvisoryLock | null> {
    const lockKey = advisoryLockKey(key);
    if (!this.#locks.tryAcquire(lockKey)) return null;
    try {
      const { rows } = await this.query<{ locked: boolean }>(Sql.tryAdvisoryLock, [
        lockKey.toString(),
      ]);
      if (rows[0]?.locked !== true) {
        this.#locks.release(lockKey);
        return null;
      }
    } catch (error) {
      this.#locks.release(lockKey);
      throw error;
    }
    const held = new AbortController();
    this.#heldLocks.add(held);
    let released: Promise<void> | undefined;
    return {
      key: lockKey,
      signal: held.signal,
      release: () =>
        (released ??= (async () => {
          try {
            if (!held.signal.aborted) await this.#unlock(lockKey);
          } finally {
            this.#heldLocks.delete(held);
            this.#locks.release(lockKey);
            held.abort(new Error('Advisory lock released'));
          }
        })()),
    };
  }

  async withAdvisoryLock<T>(key: AdvisoryLockKey, fn: () => Promise<T>): Promise<T> {
    const lockKey = advisoryLockKey(key);
    await this.#locks.acquire(lockKey);
    try {
      await this.query(Sql.advisoryLock, [lockKey.toString()]);
      try {
        return await fn();
      } finally {
        await this.#unlock(lockKey);
      }
    } finally {
      this.#locks.release(lockKey);
    }
  }

  async listen(channel: string, onNotification: () => void): Promise<Listening> {
    // PGlite has one session, which receives its own notifications once it listens.
    const unlisten = await this.#pglite.listen(channelName(channel), () => onNotification());
    const listening = new AbortController();
    this.#listenings.add(listening);
    let closed: Promise<void> | undefined;
    return {
      signal: listening.signal,
      close: () =>
        (closed ??= (async () => {
          this.#listenings.delete(listening);
          listening.abort(new Error('Stopped listening'));
          if (!this.#pglite.closed) await unlisten().catch(() => undefined);
        })()),
    };
  }

  async ping(): Promise<void> {
    await this.query(Sql.ping);
  }

  async close(): Promise<void> {
    if (this.#pglite.closed) return;
    for (const held of this.#heldLocks) held.abort(new Error('Database closed'));
    this.#heldLocks.clear();
    for (const listening of this.#listenings) listening.abort(new Error('Database closed'));
    this.#listenings.clear();
    await this.#pglite.close();
  }

  /**
   * PGlite queues every query behind the open transaction, so one issued on the database from inside
   * that transaction would wait for itself forever; fail loudly instead.
   */
  #refuseInsideTransaction(): void {
    if (this.#transactionScope.getStore()?.open) {
      throw new Error(
        'Use the transaction handle inside transaction(): PGlite has one session, so this would deadlock',
      );
    }
  }

  async #unlock(lockKey: bigint): Promise<void> {
    await this.query(Sql.advisoryUnlock, [lockKey.toString()]).catch((error: unknown) => {
      this.#logger?.warn({ err: error }, 'Advisory unlock failed on PGlite');
    });
  }
}

/**
 * Starts embedded PostgreSQL (PGlite), persisted under `dataDir` or in memory when there is none;
 * `snapshot` (from {@link snapshotPglite}) restores a data directory instead of running initdb.
 */
export async function createPgliteDatabase(
  options: DatabaseOptions,
  snapshot?: Blob,
): Promise<Database> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(snapshot ? { loadDataDir: snapshot } : {}),
    parsers: pgliteTypeParsers(),
  });
  return new PgliteDatabase(pglite, options.logger);
}

/** The data directory of a new, empty in-memory PGlite database, as an uncompressed tarball. */
export async function snapshotPglite(): Promise<Blob> {
  const pglite = await PGlite.create();
  try {
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}
