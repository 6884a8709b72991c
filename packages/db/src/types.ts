/** Which engine a {@link Database} talks to. */
export type DatabaseKind = 'postgres' | 'pglite';

/** The rows a statement returned and how many rows it returned or changed (0 for DDL). */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Where SQL runs: a {@link Database} (any pooled connection) or one transaction. */
export interface Queryable {
  /** Runs one statement (`$1`, `$2`… placeholders); several statements in one string are rejected. */
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>;
  /** Runs a script of one or more statements without parameters (DDL, seeds); returns no rows. */
  exec(script: string): Promise<void>;
}

/** PostgreSQL isolation levels a transaction may ask for (READ UNCOMMITTED behaves as READ COMMITTED). */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Per-transaction settings, applied with `SET TRANSACTION` right after `BEGIN`. */
export interface TransactionOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
}

/** A session-level advisory lock held on its own connection until released. */
export interface AdvisoryLock {
  /** The 64-bit key the lock holds (see {@link advisoryLockKey}). */
  readonly key: bigint;
  /** Aborted once the lock is no longer held: released, its connection lost, or the database closed. */
  readonly signal: AbortSignal;
  /** Unlocks and closes the lock's connection; safe to call more than once. */
  release(): Promise<void>;
}

/** A `LISTEN` on its own connection (see {@link Database.listen}). */
export interface Listening {
  /** Aborted once notifications stop arriving: closed, its connection lost, or the database closed. */
  readonly signal: AbortSignal;
  /** Stops listening and closes the connection; safe to call more than once. */
  close(): Promise<void>;
}

/** Identifies an advisory lock: a 64-bit integer, or a name hashed to one. */
export type AdvisoryLockKey = bigint | string;

/** A connection to PostgreSQL (a pool) or to an embedded PGlite database, with one API for both. */
export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /**
   * Runs `fn` inside BEGIN … COMMIT; rolls back and rethrows if it throws. Use only `tx` inside
   * `fn`: on PGlite a query on the database itself waits for the transaction to end (deadlock).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Takes the advisory lock if it is free, on a dedicated connection; `null` when another session holds it. */
  tryAdvisoryLock(key: AdvisoryLockKey): Promise<AdvisoryLock | null>;
  /** Waits for the advisory lock, runs `fn` while holding it, then releases it. */
  withAdvisoryLock<T>(key: AdvisoryLockKey, fn: () => Promise<T>): Promise<T>;
  /**
   * `LISTEN channel` on a dedicated connection: `onNotification` runs for every `NOTIFY` on the
   * channel committed in this database (payloads are not passed on). A channel is a lowercase SQL
   * identifier. Notifications are a wake-up call, not a queue: one that arrives while the
   * connection is down is lost, so a listener also polls (or re-reads) now and then.
   */
  listen(channel: string, onNotification: () => void): Promise<Listening>;
  /** Runs `SELECT 1`; rejects when the database cannot answer (for readiness probes). */
  ping(): Promise<void>;
  /** Releases every connection (and held lock); the database cannot be used afterwards. */
  close(): Promise<void>;
}

/** The logging calls this package makes; a pino logger fits. */
export interface DatabaseLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** How to reach the database; `url` selects PostgreSQL, otherwise PGlite is embedded. */
export interface DatabaseOptions {
  /** PostgreSQL connection URL (`postgres://user:pass@host:5432/db`); when set, `dataDir` is ignored. */
  url?: string;
  /** PGlite data directory (created if missing); omitted means an in-memory database. */
  dataDir?: string;
  /** Maximum pooled PostgreSQL connections (default 10); advisory locks use connections of their own. */
  poolSize?: number;
  /** How long to wait for a PostgreSQL connection before failing, in milliseconds (default 10 000). */
  connectTimeoutMs?: number;
  /** How long an unused pooled connection stays open, in milliseconds (default 10 000). */
  idleTimeoutMs?: number;
  /**
   * Run each query text as a named prepared statement, parsed and planned once per connection
   * (default true). Turn it off behind a connection pooler that cannot keep them, such as
   * PgBouncer in transaction mode before 1.21 or without `max_prepared_statements`.
   */
  preparedStatements?: boolean;
  /** Shown in PostgreSQL's `pg_stat_activity.application_name`. */
  applicationName?: string;
  logger?: DatabaseLogger;
}
