import { performance } from 'node:perf_hooks';
import { type AdvisoryLock, type Database, type Listening } from '@mercato/db';
import { type Logger } from '@mercato/logger';
import { counter, gauge, histogram, STAGE_BUCKETS_SECONDS } from '@mercato/metrics';
import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { BackgroundPasses } from './background-passes.js';
import { backoffDelay, delay, validBackoff, type Backoff } from './backoff.js';
import { SpanKind, failSpan, openSpan, tracingActive, type OpenSpan } from '@mercato/tracing';
import { EVENT_HEADERS } from './headers.js';
import { OUTBOX_CHANNEL } from './migrations.js';
import { type EventPublisher, type OutgoingRecord } from './publisher.js';

/** How a relay finds its rows, publishes them and shares the work with other replicas. */
export interface OutboxRelayOptions {
  /** The service's database, holding the `outbox` table (see `MESSAGING_MIGRATIONS`). */
  db: Database;
  /** A connected publisher; the relay does not disconnect it. */
  publisher: EventPublisher;
  /** Advisory lock name shared by the service's replicas, e.g. `order-service:outbox-relay`. */
  lockKey: string;
  /** Rows published per pass (default 100). */
  batchSize?: number;
  /**
   * The leader starts a pass as soon as a commit adds rows (`LISTEN outbox`, see
   * `MESSAGING_MIGRATIONS`); this is the longest it waits without one — the safety net for a lost
   * notification — and the pause between attempts to become leader (default 200 ms).
   */
  pollIntervalMs?: number;
  /** Wait after a failed pass, doubling from `initial` to `max` (default 250 ms … 5 s). */
  retryBackoffMs?: Backoff;
  logger: Logger;
  /** Where the relay's metrics go (default: a private registry nobody scrapes). */
  registry?: Registry;
}

interface OutboxRow {
  id: number;
  topic: string;
  message_key: string;
  event_type: string;
  payload: unknown;
  headers: Record<string, string>;
  age_seconds: number;
}

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_POLL_INTERVAL_MS = 200;
const DEFAULT_RETRY_BACKOFF: Backoff = { initial: 250, max: 5_000 };
/**
 * The longest a published row waits to be marked: the next pass marks it in the statement that
 * selects its own rows, and under load that pass comes sooner, woken by the next commit.
 */
const MARK_DELAY_MS = 100;
/** After a failed LISTEN, the relay polls only for this long before it tries to listen again. */
const LISTEN_RETRY_MS = 5_000;

/**
 * Publishes committed outbox rows to Kafka, oldest first, and marks each row published only after
 * the broker acknowledged it. One replica relays at a time: the holder of a PostgreSQL advisory
 * lock, which PostgreSQL releases by itself when the holder's connection dies, so a crashed leader
 * is replaced within one poll interval. The leader is woken by the commit of new rows (PostgreSQL
 * `NOTIFY`), so a row waits for the pass in flight at most, and polls besides. A failed publish is retried from the same row, never
 * skipping ahead, so events with one key reach Kafka in the order they were appended.
 *
 * The loop marks a batch in the statement that selects the next one (one round trip a pass, not
 * two); that pass comes with the next commit, or `MARK_DELAY_MS` after the batch when none comes.
 *
 * Guarantee: at least once. A crash between the broker's ack and the marking publishes a batch
 * again, so consumers de-duplicate on the event id (the inbox does).
 */
export class OutboxRelay {
  readonly #db: Database;
  readonly #publisher: EventPublisher;
  readonly #lockKey: string;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #retryBackoff: Backoff;
  readonly #logger: Logger;
  readonly #leaderGauge: Gauge<'relay'>;
  readonly #backlogAge: Gauge<'relay'>;
  readonly #failures: Counter<'relay'>;
  readonly #relayDelay: Histogram<'relay' | 'event_type'>;
  #lock: AdvisoryLock | undefined;
  /** `relayOnce()` from a caller never overlaps the loop's own pass. */
  readonly #passes = new BackgroundPasses();
  /**
   * After a failed publish, the last id of that batch: the retry sends exactly the same rows, so
   * the idempotent producer can recognise what the broker already wrote.
   */
  #retryUpToId: number | undefined;
  /**
   * Rows the background loop published but has not marked yet: the next pass marks them in the
   * statement that selects its rows (one round trip per pass instead of two), `stop()` at once.
   */
  #unmarked: number[] = [];
  /** The leader's `LISTEN`, while it leads (undefined when listening failed: it polls). */
  #listening: Listening | undefined;
  /** A commit added rows since the current pass began. */
  #woken = false;
  /** Ends the wait between passes early. */
  #wakeUp: (() => void) | undefined;
  /** No new attempt to listen before this time (ms since the epoch) after one failed. */
  #listenRetryAt = 0;

  constructor(options: OutboxRelayOptions) {
    this.#db = options.db;
    this.#publisher = options.publisher;
    this.#lockKey = options.lockKey;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#retryBackoff = validBackoff(
      options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF,
      'retryBackoffMs',
    );
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.#batchSize}`);
    }
    this.#logger = options.logger.child({ component: 'outbox-relay', relay: options.lockKey });
    const registry = options.registry ?? new Registry();
    const metrics = relayMetrics(registry);
    this.#leaderGauge = metrics.leader;
    this.#backlogAge = metrics.backlogAge;
    this.#failures = metrics.failures;
    this.#relayDelay = metrics.delay;
    this.#leaderGauge.set({ relay: this.#lockKey }, 0);
  }

  /** Whether this instance currently holds the relay lock. */
  get isLeader(): boolean {
    return this.#lock !== undefined && !this.#lock.signal.aborted;
  }

  /** Starts relaying in the background (standing by while another replica leads). */
  start(): void {
    this.#passes.start((signal) => this.#run(signal));
  }

  /**
   * Finishes the pass in flight, stops, and releases the lock so another replica takes over at
   * once. A later `relayOnce()` runs in full again.
   */
  async stop(): Promise<void> {
    await this.#passes.stop();
    await this.#markUnmarked().catch((error: unknown) => {
      // Published all the same: a new leader publishes them again, and consumers ignore that.
      this.#logger.warn({ err: error }, 'Could not mark the last published outbox rows');
    });
    await this.#releaseLock();
  }

  /**
   * One pass: becomes leader if the lock is free, publishes up to `batchSize` unpublished rows in
   * id order and marks them. Returns the number of rows published (0 when not leader).
   */
  relayOnce(): Promise<number> {
    return this.#passes.run(async () => {
      const published = await this.#relayBatch();
      await this.#markUnmarked();
      return published;
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let published = 0;
      this.#woken = false;
      try {
        published = await this.#passes.run(() => this.#relayBatch());
        failures = 0;
      } catch (error) {
        failures += 1;
        this.#failures.inc({ relay: this.#lockKey });
        const retryInMs = backoffDelay(this.#retryBackoff, failures);
        this.#logger.warn(
          { err: error, failures, retryInMs },
          'Outbox relay pass failed; retrying',
        );
        await delay(retryInMs, signal);
        continue;
      }
      // A full batch means more may be waiting: go again at once. Rows published and not marked
      // yet are marked by the next pass, which comes with the next commit or after MARK_DELAY_MS.
      if (published < this.#batchSize)
        await this.#untilWokenOr(
          this.#unmarked.length > 0
            ? Math.min(MARK_DELAY_MS, this.#pollIntervalMs)
            : this.#pollIntervalMs,
          signal,
        );
    }
  }

  /** Waits `ms`, or less when a commit added rows (since the last pass began) or the relay stops. */
  async #untilWokenOr(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken) return;
    const stopWaiting = new AbortController();
    this.#wakeUp = () => stopWaiting.abort();
    try {
      await delay(ms, AbortSignal.any([signal, stopWaiting.signal]));
    } finally {
      this.#wakeUp = undefined;
    }
  }

  readonly #onCommit = (): void => {
    this.#woken = true;
    this.#wakeUp?.();
  };

  /**
   * One pass of the loop: marks what the last pass published, selects and publishes the next
   * rows, and leaves them in `#unmarked`.
   */
  async #relayBatch(): Promise<number> {
    const lock = await this.#leadership();
    if (!lock) {
      await this.#markUnmarked();
      return 0;
    }
    const selectedAt = performance.now();
    const marking = this.#unmarked;
    // Marked even if the lock was lost meanwhile: the rows were acknowledged, and a new leader
    // that published them too only adds duplicates, which consumers ignore. A data-modifying CTE
    // and the SELECT beside it see the same snapshot, so the SELECT leaves those rows out itself.
    const { rows } = await this.#db.query<OutboxRow>(
      `WITH marked AS (
         UPDATE outbox SET published_at = now()
          WHERE id = ANY($3::bigint[]) AND published_at IS NULL
       )
       SELECT id, topic, message_key, event_type, payload, headers,
              extract(epoch FROM now() - created_at)::float8 AS age_seconds
         FROM outbox
        WHERE published_at IS NULL AND ($2::bigint IS NULL OR id <= $2::bigint)
          AND NOT (id = ANY($3::bigint[]))
        ORDER BY id
        LIMIT $1`,
      [this.#batchSize, this.#retryUpToId ?? null, marking],
    );
    this.#unmarked = [];
    const oldest = rows[0];
    this.#backlogAge.set({ relay: this.#lockKey }, Math.max(0, oldest?.age_seconds ?? 0));
    if (!oldest) {
      this.#retryUpToId = undefined;
      return 0;
    }
    const lastId = rows.at(-1)?.id;
    const spans = rows.map(relaySpan);
    try {
      await this.#publisher.publish(rows.map((row, n) => toRecord(row, spans[n])));
    } catch (error) {
      this.#retryUpToId = lastId;
      for (const open of spans) if (open) endSpan(open.span, error);
      throw error;
    }
    for (const open of spans) open?.span.end();
    this.#retryUpToId = undefined;
    this.#unmarked = rows.map((row) => row.id);
    const sinceSelected = (performance.now() - selectedAt) / 1000;
    for (const row of rows) {
      this.#relayDelay.observe(
        { relay: this.#lockKey, event_type: row.event_type },
        Math.max(0, row.age_seconds) + sinceSelected,
      );
    }
    this.#logger.debug({ count: rows.length, lastId }, 'Published outbox rows');
    return rows.length;
  }

  /** Marks the rows published but not marked yet, on their own (no pass follows soon). */
  async #markUnmarked(): Promise<void> {
    if (this.#unmarked.length === 0) return;
    await this.#db.query(
      'UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL',
      [this.#unmarked],
    );
    this.#unmarked = [];
  }

  /** The held lock, taking it if it is free; undefined while another replica leads. */
  async #leadership(): Promise<AdvisoryLock | undefined> {
    if (this.#lock?.signal.aborted) {
      this.#logger.warn('Lost the outbox relay lock (database connection gone); standing by');
      await this.#releaseLock();
    }
    if (this.#lock) {
      // A lost listen connection is replaced (after a failed attempt, not before LISTEN_RETRY_MS);
      // meanwhile the poll interval bounds the wait.
      if (this.#listening?.signal.aborted !== false && Date.now() >= this.#listenRetryAt)
        await this.#listen();
      return this.#lock;
    }
    if (this.#passes.stopping.aborted) return undefined;
    const lock = await this.#db.tryAdvisoryLock(this.#lockKey);
    if (!lock) return undefined;
    this.#lock = lock;
    this.#retryUpToId = undefined;
    this.#leaderGauge.set({ relay: this.#lockKey }, 1);
    this.#logger.info('Became the outbox relay leader');
    await this.#listen();
    return lock;
  }

  /** Listens for commits of new rows; without that the relay still works, by polling alone. */
  async #listen(): Promise<void> {
    await this.#listening?.close().catch(() => undefined);
    this.#listening = undefined;
    try {
      this.#listening = await this.#db.listen(OUTBOX_CHANNEL, this.#onCommit);
    } catch (error) {
      this.#listenRetryAt = Date.now() + LISTEN_RETRY_MS;
      this.#logger.warn(
        { err: error, pollIntervalMs: this.#pollIntervalMs, retryInMs: LISTEN_RETRY_MS },
        'Cannot listen for outbox commits; relaying by polling alone until listening works',
      );
    }
  }

  async #releaseLock(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    await listening?.close().catch(() => undefined);
    const lock = this.#lock;
    this.#lock = undefined;
    this.#leaderGauge.set({ relay: this.#lockKey }, 0);
    if (lock)
      await lock.release().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'Could not release the outbox relay lock');
      });
  }
}

/** The relay's instruments, created on first use (the dashboard and alert rules are checked against them). */
export function relayMetrics(registry: Registry): {
  leader: Gauge<'relay'>;
  backlogAge: Gauge<'relay'>;
  failures: Counter<'relay'>;
  delay: Histogram<'relay' | 'event_type'>;
} {
  return {
    leader: gauge(
      registry,
      'outbox_relay_leader',
      'Whether this replica holds the outbox relay lock (1) or stands by (0).',
      ['relay'],
    ),
    backlogAge: gauge(
      registry,
      'outbox_relay_backlog_age_seconds',
      'Age of the oldest unpublished outbox row seen by the last pass (0 when none).',
      ['relay'],
    ),
    failures: counter(
      registry,
      'outbox_relay_failures_total',
      'Outbox relay passes that failed (broker or database unavailable) and will be retried.',
      ['relay'],
    ),
    delay: histogram(
      registry,
      'outbox_relay_delay_seconds',
      'From an outbox row being written to the broker acknowledging it, by event type.',
      ['relay', 'event_type'],
      STAGE_BUCKETS_SECONDS,
    ),
  };
}

/**
 * The PRODUCER span of one row's publication, in the trace of the work that wrote the row (its
 * stored `traceparent`). It starts when the row was written, so its length is the row's whole way
 * to the broker: waiting in the outbox, then the send until the broker acknowledged it.
 */
function relaySpan(row: OutboxRow): OpenSpan | undefined {
  const parent = row.headers[EVENT_HEADERS.traceparent];
  if (parent === undefined || !tracingActive()) return undefined;
  const open = openSpan(`send ${row.topic}`, {
    kind: SpanKind.PRODUCER,
    parent,
    root: false,
    startTime: Date.now() - Math.max(0, row.age_seconds) * 1000,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': row.topic,
      'messaging.kafka.message.key': row.message_key,
      'mercato.event.type': row.event_type,
      'mercato.outbox.id': String(row.id),
    },
  });
  open?.span.addEvent('selected by the outbox relay');
  return open;
}

function endSpan(span: OpenSpan['span'], error: unknown): void {
  failSpan(span, error);
  span.end();
}

function toRecord(row: OutboxRow, span: OpenSpan | undefined): OutgoingRecord {
  return {
    topic: row.topic,
    key: row.message_key,
    value: Buffer.from(JSON.stringify(row.payload)),
    headers: {
      ...row.headers,
      // The consumer's span is the child of this publication, not of the work that wrote the row.
      ...(span ? { [EVENT_HEADERS.traceparent]: span.traceparent } : {}),
      [EVENT_HEADERS.eventType]: row.event_type,
      [EVENT_HEADERS.contentType]: 'application/json',
    },
  };
}
