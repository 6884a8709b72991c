import { type EventEnvelope } from '@mercato/contracts';
import { type Database, type Queryable } from '@mercato/db';
import { type Logger } from '@mercato/logger';
import { type Registry } from 'prom-client';
import { type Backoff } from './backoff.js';

/** What a handler gets for one delivery of one event. */
export interface EventContext {
  /** The validated event envelope. */
  event: EventEnvelope;
  topic: string;
  partition: number;
  offset: string;
  /** 1 on the first try of this delivery, 2 on the first retry … (restarts count afresh). */
  attempt: number;
  /** The record's headers as text (trace context, request id, event type …). */
  headers: Readonly<Record<string, string>>;
  /**
   * Runs `fn` in a database transaction that also records the event in the inbox, so the state
   * change and "processed" commit together. Throws {@link DuplicateEventError} (and rolls back)
   * when another delivery already recorded the event. Call it at most once per attempt.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * The one-statement form of {@link transaction}, for a step that is one conditional update
   * announced by one event: the inbox row, `change` — only if the inbox row is new — and, if
   * `change` updated a row, the outbox row of `announce`, all in one data-modifying statement,
   * which PostgreSQL makes atomic without BEGIN and COMMIT (four round trips fewer than a
   * transaction holding the same three statements). Returns whether `change` updated a row.
   * Throws {@link DuplicateEventError} when another delivery already recorded the event. Call it
   * at most once per attempt, and not together with {@link transaction}.
   */
  updateOnce(change: RowUpdate, announce: EventEnvelope): Promise<boolean>;
  /**
   * {@link updateOnce} for a step that adds one row: the inbox row, `row` — only if the inbox row is
   * new, and skipped (`ON CONFLICT DO NOTHING`) when it would break a unique constraint — and, if
   * `row` was inserted, the outbox row of `announce`, in one statement. Returns whether `row` was
   * inserted. The same rules: DuplicateEventError for a recorded event, one call per attempt.
   */
  insertOnce(row: RowInsert, announce: EventEnvelope): Promise<boolean>;
}

/**
 * An INSERT of one row, in parts: `INSERT INTO <table> (<columns>)` with `values` in the same
 * order. The parts are SQL written by the service, never from input; values always go in `values`
 * (PostgreSQL types them by their columns).
 */
export interface RowInsert {
  readonly table: string;
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
}

/**
 * An UPDATE of at most one row, in parts: `UPDATE <table> SET <set> WHERE <where>`, with `values`
 * for the `$1`, `$2` … that `set` and `where` refer to. The parts are SQL written by the service,
 * never from input; values always go in `values`.
 */
export interface RowUpdate {
  readonly table: string;
  readonly set: string;
  readonly where: string;
  readonly values: readonly unknown[];
}

/** Handles one event; throwing means "try again" (or {@link PermanentEventError}: "never"). */
export type EventHandler = (context: EventContext) => Promise<void>;

/** How a consumer reads, retries and records events. */
export interface ConsumerOptions {
  /** Kafka consumer group, also the inbox's `consumer_group` (take it from `CONSUMER_GROUPS`). */
  groupId: string;
  topics: readonly string[];
  /** The service's database: holds `processed_events` (see `MESSAGING_MIGRATIONS`). */
  db: Database;
  handler: EventHandler;
  /**
   * Look each event up in the inbox before running the handler (default true), so a redelivery
   * runs none of it. Turn it off — one database round trip less per message — only when the
   * handler is idempotent on its own: its changes go through `context.transaction()` (which
   * records the event and rolls a duplicate back) or are guarded by the state they change, and
   * whatever it calls outside the database is idempotent too. A redelivery then costs the
   * handler's reads, and the events it handles outside a transaction are not recorded, since
   * nothing would read them.
   */
  inboxPrecheck?: boolean;
  /** Attempts per delivery before the message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Wait between attempts, doubling from `initial` to `max` (default 500 ms … 10 s). */
  retryBackoffMs?: Backoff;
  logger: Logger;
  /** Where the consumer's metrics go (default: a private registry nobody scrapes). */
  registry?: Registry;
  /** Event types this consumer cares about; others are skipped without a trace. Default: all. */
  eventTypes?: readonly string[];
  /** A new group starts at the oldest retained record (default true) or only sees new ones. */
  fromBeginning?: boolean;
  /** Partitions processed at the same time (default 3). */
  partitionsConsumedConcurrently?: number;
  /**
   * Keys processed at the same time within one partition's batch, each key's records still
   * strictly in order (default 8). Records of one key — one order, one product — are the ones whose
   * order matters; 1 handles a partition's records one at a time.
   */
  keysConsumedConcurrently?: number;
  /** How often consumer lag is measured for the `kafka_consumer_lag_messages` gauge (default 5 000 ms). */
  lagIntervalMs?: number;
  /** Kafka session timeout (default 10 000 ms): a member silent this long is removed from the group. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3 000 ms); also the longest a retry wait goes without one. */
  heartbeatIntervalMs?: number;
  /**
   * How often the offsets of resolved records are committed (default 1 000 ms), besides at a
   * rebalance and at stop. A crash redelivers at most this long's records, which the idempotent
   * handlers recognise.
   */
  commitIntervalMs?: number;
}

/** A running consumer group member. */
export interface EventConsumer {
  /** Checks the topics (and their `.dlq` topics) exist, joins the group and starts consuming. */
  start(): Promise<void>;
  /** Lets the in-flight message finish (no new retry starts), commits, leaves the group, disconnects. */
  stop(): Promise<void>;
}
