import pg from 'pg';
import { inChildSpan, tracedQuery } from '@mercato/tracing';
import { advisoryLockKey } from './advisory-lock.js';
import { SqlState, TransactionRolledBackError, sqlState } from './errors.js';
import {
  Sql,
  TRANSACTION_SPAN,
  TRANSACTION_SPAN_OPTIONS,
  channelName,
  setTransactionSql,
} from './sql.js';
import { pgTypeParsers } from './type-parsers.js';
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

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

type PgTarget = Pick<pg.ClientBase, 'query'>;

/** `queryMode` is honoured by pg 8 but missing from its type definitions. */
interface ExtendedQueryConfig extends pg.QueryConfig {
  queryMode: 'extended';
}

// Prepared statements: each query text gets a name, so a connection parses and plans it once and
// then only binds and executes it (pg remembers which names each connection has prepared, and
// PostgreSQL re-plans a statement itself when a table it reads changes). For the catalog's product
// read that saved a quarter of PostgreSQL's CPU per call (bench part (m), D38). The texts are
// the services' own constants, a few dozen; past MAX_NAMED_STATEMENTS a text
// runs unnamed, so a caller that builds texts with values in them cannot fill every connection's
// memory with statements. A PgBouncer in front must be ≥ 1.21 with `max_prepared_statements` set.
const MAX_NAMED_STATEMENTS = 500;

/** `DatabaseOptions.preparedStatements` when it is not given. */
export const DEFAULT_PREPARED_STATEMENTS = true;

/** Names query texts as prepared statements, up to a limit; later texts stay unnamed. */
export class StatementNames {
  readonly #names = new Map<string, string>();
  #generation = 0;
  constructor(readonly limit = MAX_NAMED_STATEMENTS) {}

  /** The statement name of a query text, or undefined when the text runs unnamed. */
  of(sql: string): string | undefined {
    let name = this.#names.get(sql);
    if (name === undefined && this.#names.size < this.limit) {
      name = `mercato_${this.#generation}_${this.#names.size + 1}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  /** Gives every text a new name from now on (the old names' statements stay where they are). */
  forget(): void {
    this.#names.clear();
    this.#generation += 1;
  }
}

// One naming for the process: a name always means the same text on every connection of every pool.
const statementNames = new StatementNames();

/**
 * A statement prepared before a migration changed the type of a column it returns fails with
 * "cached plan must not change result type" (0A000) on every connection that prepared it: the
 * replicas still running during a rolling deploy would fail every such query. The error comes
 * before the statement runs, so outside a transaction the query is sent again under a new name;
 * inside one the transaction has failed (the caller's retry gets new names too).
 */
function isStalePlan(error: unknown): boolean {
  return (
    sqlState(error) === SqlState.featureNotSupported &&
    error instanceof Error &&
    error.message === 'cached plan must not change result type'
  );
}

/** How a query runs: on a transaction's connection (no retry possible), prepared or not. */
interface QueryMode {
  inTransaction: boolean;
  prepared: boolean;
}

async function runQuery<Row extends object>(
  target: PgTarget,
  mode: QueryMode,
  sql: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  // Always the extended protocol, as PGlite's query() uses: one statement per call on both backends.
  const run = async (): Promise<QueryResult<Row>> => {
    const config: ExtendedQueryConfig = {
      text: sql,
      values: [...params],
      queryMode: 'extended',
      name: mode.prepared ? statementNames.of(sql) : undefined,
    };
    const result = await tracedQuery(sql, () => target.query(config));
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  try {
    return await run();
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    statementNames.forget();
    if (mode.inTransaction) throw error;
    return run();
  }
}

async function runScript(target: PgTarget, script: string): Promise<void> {
  await target.query(script);
}

/** A transaction handle that refuses work once its transaction has ended (its client is back in the pool). */
function openTransaction(
  client: pg.PoolClient,
  prepared: boolean,
): { tx: Queryable; end: () => void } {
  let open = true;
  const checkedClient = (): pg.PoolClient => {
    if (!open) throw new Error('Transaction is closed');
    return client;
  };
  return {
    tx: {
      query: async (sql, params) =>
        runQuery(checkedClient(), { inTransaction: true, prepared }, sql, params),
      exec: async (script) => runScript(checkedClient(), script),
    },
    end: () => {
      open = false;
    },
  };
}

/**
 * A connection of its own, outside the pool, for session state — advisory locks, a `LISTEN`;
 * `lost` aborts when it ends.
 */
interface OwnConnection {
  client: pg.Client;
  lost: AbortSignal;
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #clientConfig: pg.ClientConfig;
  readonly #logger: DatabaseLogger | undefined;
  readonly #ownConnections = new Set<OwnConnection>();
  /** Queries outside a transaction: retried once on a stale prepared statement. */
  readonly #direct: QueryMode;
  #closed = false;

  constructor(url: string, options: DatabaseOptions) {
    this.#logger = options.logger;
    this.#direct = {
      inTransaction: false,
      prepared: options.preparedStatements ?? DEFAULT_PREPARED_STATEMENTS,
    };
    this.#clientConfig = {
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      types: pgTypeParsers(),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    };
    this.#pool = new pg.Pool({
      ...this.#clientConfig,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      idleTimeoutMillis: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    });
    // Without a listener an idle connection dropped by the server would crash the process.
    this.#pool.on('error', (error) => {
      this.#logger?.warn(
        { err: error },
        'Idle PostgreSQL connection failed; the pool will open a new one',
      );
    });
  }

  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    return runQuery<Row>(this.#pool, this.#direct, sql, params);
  }

  exec(script: string): Promise<void> {
    return runScript(this.#pool, script);
  }

  async transaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return inChildSpan(TRANSACTION_SPAN, TRANSACTION_SPAN_OPTIONS, () =>
      this.#transaction(fn, options),
    );
  }

  async #transaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    const client = await this.#pool.connect();
    let connectionError: Error | undefined;
    // A checked-out client has no pool listener; an unhandled 'error' event would crash the process.
    const onError = (error: Error): void => {
      connectionError = error;
    };
    client.on('error', onError);
    const { tx, end } = openTransaction(client, this.#direct.prepared);
    try {
      let result: T;
      try {
        await client.query('BEGIN');
        const setTransaction = setTransactionSql(options);
        if (setTransaction) await client.query(setTransaction);
        result = await fn(tx);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          connectionError ??=
            rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
      // A failed COMMIT has already ended the transaction on the server, so there is nothing to roll back.
      const commit = await client.query('COMMIT');
      if (commit.command === 'ROLLBACK') throw new TransactionRolledBackError();
      return result;
    } finally {
      end();
      client.off('error', onError);
      client.release(connectionError ?? false);
    }
  }

  async tryAdvisoryLock(key: AdvisoryLockKey): Promise<AdvisoryLock | null> {
    const lockKey = advisoryLockKey(key);
    const connection = await this.#openOwnConnection();
    try {
      const { rows } = await runQuery<{ locked: boolean }>(
        connection.client,
        this.#direct,
        Sql.tryAdvisoryLock,
        [lockKey.toString()],
      );
      if (rows[0]?.locked !== true) {
        await this.#closeOwnConnection(connection);
        return null;
      }
    } catch (error) {
      await this.#closeOwnConnection(connection);
      throw error;
    }
    let released: Promise<void> | undefined;
    return {
      key: lockKey,
      signal: connection.lost,
      release: () => (released ??= this.#unlockAndClose(connection, lockKey)),
    };
  }

  async withAdvisoryLock<T>(key: AdvisoryLockKey, fn: () => Promise<T>): Promise<T> {
    const lockKey = advisoryLockKey(key);
    const connection = await this.#openOwnConnection();
    try {
      await runQuery(connection.client, this.#direct, Sql.advisoryLock, [lockKey.toString()]);
    } catch (error) {
      await this.#closeOwnConnection(connection);
      throw error;
    }
    try {
      return await fn();
    } finally {
      if (connection.lost.aborted) {
        this.#logger?.warn(
          { lockKey: lockKey.toString() },
          'Advisory lock connection was lost while the lock was in use',
        );
      }
      await this.#unlockAndClose(connection, lockKey);
    }
  }

  async listen(channel: string, onNotification: () => void): Promise<Listening> {
    const listen = `LISTEN ${channelName(channel)}`;
    const connection = await this.#openOwnConnection('listen');
    connection.client.on('notification', (message) => {
      if (message.channel === channel) onNotification();
    });
    try {
      await runQuery(connection.client, this.#direct, listen);
    } catch (error) {
      await this.#closeOwnConnection(connection);
      throw error;
    }
    let closed: Promise<void> | undefined;
    return {
      signal: connection.lost,
      close: () => (closed ??= this.#closeOwnConnection(connection)),
    };
  }

  async ping(): Promise<void> {
    await this.#pool.query(Sql.ping);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      [...this.#ownConnections].map((connection) => this.#closeOwnConnection(connection)),
    );
    await this.#pool.end();
  }

  async #openOwnConnection(
    purpose: 'advisory lock' | 'listen' = 'advisory lock',
  ): Promise<OwnConnection> {
    if (this.#closed) throw new Error('Database is closed');
    const client = new pg.Client(this.#clientConfig);
    const controller = new AbortController();
    client.on('error', (error) => {
      this.#logger?.warn(
        { err: error },
        purpose === 'listen'
          ? 'PostgreSQL listen connection failed; notifications stop'
          : 'PostgreSQL advisory lock connection failed; its locks are released',
      );
      controller.abort(error);
    });
    client.on('end', () =>
      controller.abort(
        new Error(
          purpose === 'listen' ? 'Listen connection closed' : 'Advisory lock connection closed',
        ),
      ),
    );
    const connection = { client, lost: controller.signal };
    this.#ownConnections.add(connection);
    try {
      await client.connect();
    } catch (error) {
      await this.#closeOwnConnection(connection);
      throw error;
    }
    return connection;
  }

  async #unlockAndClose(connection: OwnConnection, lockKey: bigint): Promise<void> {
    // Ending the session releases its locks anyway; the explicit unlock keeps the SQL the same as on PGlite.
    if (!connection.lost.aborted) {
      await runQuery(connection.client, this.#direct, Sql.advisoryUnlock, [
        lockKey.toString(),
      ]).catch((error: unknown) => {
        this.#logger?.warn(
          { err: error },
          'Advisory unlock failed; closing the connection releases the lock',
        );
      });
    }
    await this.#closeOwnConnection(connection);
  }

  async #closeOwnConnection(connection: OwnConnection): Promise<void> {
    this.#ownConnections.delete(connection);
    // A connection that already failed rejects end(); it is gone either way.
    await connection.client.end().catch(() => undefined);
  }
}

/** Opens a pg pool for `url`; connections are made on first use, so this does not fail on an unreachable server. */
export function createPostgresDatabase(url: string, options: DatabaseOptions): Database {
  return new PostgresDatabase(url, options);
}
