import { type Database } from '@mercato/db';
import { type Logger } from '@mercato/logger';
import { counter } from '@mercato/metrics';
import { Registry, type Counter } from 'prom-client';
import { BackgroundPasses } from './background-passes.js';
import { delay } from './backoff.js';

/** How long published outbox rows and inbox rows are kept, and how the sweeps share the work. */
export interface MessagingRetentionOptions {
  /** The service's database, holding `outbox` and `processed_events` (see `MESSAGING_MIGRATIONS`). */
  db: Database;
  /** Advisory lock name shared by the service's replicas, e.g. `order-service:messaging-retention`. */
  lockKey: string;
  /** Published outbox rows older than this (by `published_at`) are deleted; unpublished rows never are. */
  outboxRetentionMs: number;
  /**
   * Inbox rows older than this (by `processed_at`) are deleted. Must exceed the retention of the
   * consumed topics, or a replayed event would no longer be recognised as processed.
   */
  inboxRetentionMs: number;
  /** Pause between passes; the first pass runs when `start()` is called. */
  intervalMs: number;
  /** Rows deleted per statement (default 1000), so no statement holds its row locks for long. */
  batchSize?: number;
  logger: Logger;
  /** Where the sweeper's metrics go (default: a private registry nobody scrapes). */
  registry?: Registry;
}

/** Rows one pass deleted, per table. */
export interface RetentionSweep {
  outbox: number;
  inbox: number;
}

/** The `table` label values of `messaging_retention_deleted_rows_total`. */
type RetentionTable = 'outbox' | 'processed_events';

const DEFAULT_BATCH_SIZE = 1_000;
/** The longest delay setTimeout honours (2^31 - 1 ms). */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

// `published_at < cutoff` is never true for NULL, so an unpublished row is never selected. The ids
// come from the primary key in order: the relay publishes in id order, so expired rows are its
// front. A pass with nothing (more) to delete reads every retained row once; that is the price of
// keeping the relay's writes free of another index. ARRAY(...) makes the outer DELETE look each id
// up in the primary key; with `id IN (subquery)` PostgreSQL may hash-join against a full scan.
const DELETE_PUBLISHED_OUTBOX_BATCH = `
DELETE FROM outbox
 WHERE id = ANY (ARRAY(SELECT id
                         FROM outbox
                        WHERE published_at < now() - $1::float8 * interval '1 millisecond'
                        ORDER BY id
                        LIMIT $2))`;

// The expired rows are found through processed_events_processed_at_idx (migration 1003) and deleted
// by their physical address (a TID scan), which needs no lookup in the two-column primary key.
const DELETE_PROCESSED_EVENTS_BATCH = `
DELETE FROM processed_events
 WHERE ctid = ANY (ARRAY(SELECT ctid
                           FROM processed_events
                          WHERE processed_at < now() - $1::float8 * interval '1 millisecond'
                          ORDER BY processed_at
                          LIMIT $2))`;

/** The sweeper's instruments, created on first use (alert rules are checked against them). */
export function retentionMetrics(registry: Registry): {
  deleted: Counter<'table'>;
  failures: Counter;
} {
  const deleted = counter(
    registry,
    'messaging_retention_deleted_rows_total',
    'Rows the messaging retention sweep deleted: published outbox rows and inbox rows past their retention.',
    ['table'],
  );
  const failures = counter(
    registry,
    'messaging_retention_failures_total',
    'Messaging retention passes that failed (database unavailable) and will run again next interval.',
  );
  // Both series exist from the start, so rate() over them is defined before the first deletion.
  for (const table of ['outbox', 'processed_events'] as const) deleted.inc({ table }, 0);
  failures.inc(0);
  return { deleted, failures };
}

/**
 * Deletes what the messaging tables no longer need: outbox rows published longer ago than the
 * outbox retention, and inbox rows older than the inbox retention. Each pass runs on one replica
 * only — whichever takes the advisory lock first; the others skip it — and deletes in batches, so
 * it never holds many row locks nor blocks the relay or the consumers for long. Ages are measured
 * with the database's clock, the one that wrote the timestamps.
 */
export class MessagingRetention {
  readonly #db: Database;
  readonly #lockKey: string;
  readonly #outboxRetentionMs: number;
  readonly #inboxRetentionMs: number;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #logger: Logger;
  readonly #deleted: Counter<'table'>;
  readonly #failures: Counter;
  /** `sweepOnce()` from a caller never overlaps the loop's own pass. */
  readonly #passes = new BackgroundPasses();

  constructor(options: MessagingRetentionOptions) {
    this.#db = options.db;
    this.#lockKey = options.lockKey;
    this.#outboxRetentionMs = positive(options.outboxRetentionMs, 'outboxRetentionMs');
    this.#inboxRetentionMs = positive(options.inboxRetentionMs, 'inboxRetentionMs');
    this.#intervalMs = positive(options.intervalMs, 'intervalMs');
    if (this.#intervalMs > MAX_TIMER_DELAY_MS) {
      // setTimeout would fire at once instead, turning the sweep into a busy loop.
      throw new RangeError(
        `intervalMs must be at most ${MAX_TIMER_DELAY_MS} (about 24.8 days), got ${this.#intervalMs}`,
      );
    }
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.#batchSize}`);
    }
    this.#logger = options.logger.child({
      component: 'messaging-retention',
      retention: options.lockKey,
    });
    const metrics = retentionMetrics(options.registry ?? new Registry());
    this.#deleted = metrics.deleted;
    this.#failures = metrics.failures;
  }

  /** Sweeps now and then every `intervalMs`, in the background, until `stop()`. */
  start(): void {
    this.#passes.start((signal) => this.#run(signal));
  }

  /**
   * Stops sweeping: the statement in flight completes, the rest of its pass is left for the next
   * one, and the lock is released. Resolves once nothing runs any more.
   */
  stop(): Promise<void> {
    return this.#passes.stop();
  }

  /**
   * One pass: takes the lock if it is free (otherwise deletes nothing), deletes the expired rows of
   * both tables batch by batch, releases the lock. Resolves to the rows deleted per table.
   */
  sweepOnce(): Promise<RetentionSweep> {
    const stopping = this.#passes.stopping;
    return this.#passes.run(() => this.#sweep(stopping));
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sweepOnce();
      } catch (error) {
        this.#failures.inc();
        this.#logger.warn(
          { err: error, retryInMs: this.#intervalMs },
          'Messaging retention pass failed; trying again next interval',
        );
      }
      await delay(this.#intervalMs, signal);
    }
  }

  async #sweep(stopping: AbortSignal): Promise<RetentionSweep> {
    const swept: RetentionSweep = { outbox: 0, inbox: 0 };
    if (stopping.aborted) return swept;
    const lock = await this.#db.tryAdvisoryLock(this.#lockKey);
    if (!lock) {
      this.#logger.debug('Another replica is sweeping; skipping this pass');
      return swept;
    }
    // Stop between batches when asked to, or when the lock's connection died: another replica
    // may then be sweeping the same rows.
    const interrupted = AbortSignal.any([stopping, lock.signal]);
    try {
      swept.outbox = await this.#deleteInBatches(
        DELETE_PUBLISHED_OUTBOX_BATCH,
        this.#outboxRetentionMs,
        'outbox',
        interrupted,
      );
      swept.inbox = await this.#deleteInBatches(
        DELETE_PROCESSED_EVENTS_BATCH,
        this.#inboxRetentionMs,
        'processed_events',
        interrupted,
      );
      if (lock.signal.aborted && !stopping.aborted) {
        this.#logger.warn(
          'Lost the messaging retention lock mid-pass; the rest waits for the next pass',
        );
      }
    } finally {
      await lock.release().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'Could not release the messaging retention lock');
      });
    }
    if (swept.outbox > 0 || swept.inbox > 0) {
      this.#logger.info(
        { outboxRowsDeleted: swept.outbox, inboxRowsDeleted: swept.inbox },
        'Deleted expired outbox and inbox rows',
      );
    }
    return swept;
  }

  async #deleteInBatches(
    statement: string,
    retentionMs: number,
    table: RetentionTable,
    interrupted: AbortSignal,
  ): Promise<number> {
    let total = 0;
    while (!interrupted.aborted) {
      const { rowCount } = await this.#db.query(statement, [retentionMs, this.#batchSize]);
      total += rowCount;
      this.#deleted.inc({ table }, rowCount);
      if (rowCount < this.#batchSize) break;
    }
    return total;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
