import { performance } from 'node:perf_hooks';
import {
  deadLetterTopic,
  InvalidEventError,
  parseEvent,
  type EventEnvelope,
  type Topic,
} from '@mercato/contracts';
import { type Database } from '@mercato/db';
import { runWithLogContext, type Logger } from '@mercato/logger';
import {
  SpanKind,
  failSpan,
  inChildSpan,
  openSpan,
  spanLogContext,
  tracingActive,
  type OpenSpan,
  type Span,
} from '@mercato/tracing';
import { type KafkaMetrics, type KafkaProcessingOutcome } from '@mercato/metrics';
import { backoffDelay, delay, type Backoff } from './backoff.js';
import {
  type EventContext,
  type EventHandler,
  type RowInsert,
  type RowUpdate,
} from './consumer-types.js';
import { outboxInsertFrom, outboxValues } from './outbox.js';
import { ConsumerStoppingError, DuplicateEventError, PermanentEventError } from './errors.js';
import {
  EVENT_HEADERS,
  deadLetterHeaders,
  headerText,
  logContextFromHeaders,
  textHeaders,
  type MessageHeaders,
} from './headers.js';
import { type EventPublisher } from './publisher.js';

/** One record as the Kafka client delivered it. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: MessageHeaders;
  /** The record's timestamp, milliseconds since the epoch as text (kafkajs' `message.timestamp`). */
  timestamp?: string;
}

/** What the Kafka client lets the processor do while it works on a message. */
export interface DeliveryControl {
  /** Tells the group coordinator this member is alive; rejects when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer is stopping: no new attempt starts, the message stays uncommitted. */
  signal: AbortSignal;
  /** Longest wait between heartbeats while retrying. */
  heartbeatIntervalMs: number;
}

/** How one message ended; every result lets the consumer commit past it. */
export type ProcessingResult = 'processed' | 'duplicate' | 'dead_lettered' | 'skipped';

export interface MessageProcessorOptions {
  groupId: string;
  db: Database;
  handler: EventHandler;
  /** Look the event up before the handler runs (see `ConsumerOptions.inboxPrecheck`). */
  inboxPrecheck: boolean;
  maxAttempts: number;
  backoff: Backoff;
  eventTypes: ReadonlySet<string> | undefined;
  deadLetters: Pick<EventPublisher, 'publish'>;
  metrics: KafkaMetrics;
  logger: Logger;
  /** Backoff for the runner's own database and dead-letter writes, retried until they succeed. */
  infrastructureBackoff?: Backoff;
  now?: () => Date;
}

const INFRASTRUCTURE_BACKOFF: Backoff = { initial: 500, max: 10_000 };

/**
 * The per-message semantics of the consumer, independent of the Kafka client: parse (poison →
 * dead letter), filter by type, de-duplicate through the inbox, run the handler with retries and
 * backoff, dead-letter after `maxAttempts` (or at once on {@link PermanentEventError}).
 *
 * Its own database reads/writes and dead-letter publishes are infrastructure, not the message's
 * fault: they are retried (heartbeating) until they succeed or the consumer stops, and never
 * count as attempts, so an outage cannot send good messages to the DLQ.
 */
export class MessageProcessor {
  readonly #options: MessageProcessorOptions;
  readonly #now: () => Date;

  constructor(options: MessageProcessorOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Processes one message. Resolves when it may be committed; rejects with
   * {@link ConsumerStoppingError} (stopping) or a heartbeat's error (rebalance), and then the
   * message must not be committed.
   */
  async process(message: IncomingMessage, control: DeliveryControl): Promise<ProcessingResult> {
    const open = consumerSpan(message, this.#options.groupId);
    if (open === undefined) return this.#process(message, control, undefined);
    try {
      const result = await runWithLogContext(spanLogContext(open), () =>
        this.#process(message, control, open.span),
      );
      open.span.setAttribute('mercato.processing.outcome', result);
      return result;
    } catch (error) {
      // Stopping or a rebalance: the message is left for the next delivery, nothing failed.
      open.span.setAttribute('mercato.processing.outcome', 'interrupted');
      throw error;
    } finally {
      open.span.end();
    }
  }

  async #process(
    message: IncomingMessage,
    control: DeliveryControl,
    span: Span | undefined,
  ): Promise<ProcessingResult> {
    let event: EventEnvelope;
    try {
      event = parseEvent(message.value);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      if (span) failSpan(span, error, `not a valid event, dead-lettered: ${error.message}`);
      return this.#deadLetterPoison(message, error, control);
    }
    span?.setAttributes({ 'messaging.message.id': event.id, 'mercato.event.type': event.type });
    if (this.#options.eventTypes && !this.#options.eventTypes.has(event.type)) {
      this.#options.logger.debug(
        { eventId: event.id, eventType: event.type, topic: message.topic },
        'Skipping an event type this consumer does not handle',
      );
      return 'skipped';
    }
    const correlation = logContextFromHeaders(message.headers);
    const context = {
      // Under a span, the span's trace context (already ambient) replaces the producer's.
      ...(span ? { requestId: correlation.requestId } : correlation),
      eventId: event.id,
      eventType: event.type,
      orderId: event.subject,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
    };
    return runWithLogContext(context, () => this.#processEvent(event, message, control, span));
  }

  async #processEvent(
    event: EventEnvelope,
    message: IncomingMessage,
    control: DeliveryControl,
    span: Span | undefined,
  ): Promise<ProcessingResult> {
    const { metrics, logger, maxAttempts, backoff } = this.#options;
    const { topic } = message;
    const startedAt = performance.now();
    metrics.consumed.inc({ topic });
    // NaN without a timestamp.
    const sentAt = Number(message.timestamp);
    if (Number.isFinite(sentAt)) {
      metrics.deliverySeconds.observe(
        { topic, event_type: event.type },
        Math.max(0, this.#now().getTime() - sentAt) / 1000,
      );
    }
    const finish = (outcome: KafkaProcessingOutcome) =>
      metrics.processingSeconds.observe({ topic, outcome }, (performance.now() - startedAt) / 1000);

    const seen =
      this.#options.inboxPrecheck &&
      (await this.#infrastructure('check the inbox', control, () => this.#isRecorded(event.id)));
    if (seen) {
      finish('duplicate');
      logger.debug('Event already processed by this consumer group; skipping the redelivery');
      return 'duplicate';
    }

    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      try {
        const outcome = await this.#attempt(event, message, attempt);
        finish(outcome);
        if (outcome === 'duplicate')
          logger.debug('Event was processed by another delivery meanwhile');
        else logger.debug({ attempt }, 'Event processed');
        return outcome;
      } catch (error) {
        failure = error;
      }
      const permanent = failure instanceof PermanentEventError;
      if (permanent || attempt >= maxAttempts) {
        logger.error(
          { err: failure, attempt },
          permanent
            ? 'Handler rejected the event permanently; dead-lettering it'
            : `Handler failed ${attempt} times; dead-lettering the event`,
        );
        if (span) {
          const reason = failure instanceof Error ? failure.message : String(failure);
          failSpan(span, failure, `dead-lettered after ${attempt} attempts: ${reason}`);
        }
        await this.#deadLetter(message, failure, attempt, control);
        metrics.deadLettered.inc({ topic });
        finish('dead_lettered');
        return 'dead_lettered';
      }
      metrics.failed.inc({ topic });
      const retryInMs = backoffDelay(backoff, attempt);
      span?.addEvent('handler failed; retrying', {
        'mercato.attempt': attempt,
        'exception.message': failure instanceof Error ? failure.message : String(failure),
        'mercato.retry_in_ms': retryInMs,
      });
      logger.warn({ err: failure, attempt, retryInMs }, 'Handler failed; retrying');
      try {
        await this.#wait(retryInMs, control);
      } catch (error) {
        finish('failed');
        throw error;
      }
    }
  }

  /** One handler run; the inbox row is written with the handler's transaction, or after it. */
  async #attempt(
    event: EventEnvelope,
    message: IncomingMessage,
    attempt: number,
  ): Promise<'processed' | 'duplicate'> {
    const { db, groupId, handler } = this.#options;
    let recorded = false;
    // An attempt commits its change (and the inbox row) once, through either method.
    const refuseSecondCommit = (method: 'transaction' | 'updateOnce' | 'insertOnce') => {
      if (recorded)
        throw new Error(
          `EventContext.${method}() after this event's change was committed; call it once`,
        );
    };
    /** One statement of `changeOnceStatement`: whether the event was new, whether a row changed. */
    const changeOnce = async (
      change: { sql: string; values: readonly unknown[] },
      announce: EventEnvelope,
    ): Promise<boolean> => {
      const outbox = outboxValues(announce);
      const { rows } = await db.query<{ recorded: number; changed: number }>(change.sql, [
        ...change.values,
        groupId,
        event.id,
        event.type,
        ...outbox,
      ]);
      recorded = true;
      if (rows[0]?.recorded !== 1) throw new DuplicateEventError(event.id, groupId);
      return rows[0].changed > 0;
    };
    const context: EventContext = {
      event,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      attempt,
      headers: textHeaders(message.headers),
      transaction: async (fn) => {
        refuseSecondCommit('transaction');
        const result = await db.transaction(async (tx) => {
          const inserted = await tx.query(
            `INSERT INTO processed_events (consumer_group, event_id, event_type)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
            [groupId, event.id, event.type],
          );
          if (inserted.rowCount === 0) throw new DuplicateEventError(event.id, groupId);
          return fn(tx);
        });
        recorded = true;
        return result;
      },
      updateOnce: (change, announce) => {
        refuseSecondCommit('updateOnce');
        return changeOnce(updateOnceStatement(change), announce);
      },
      insertOnce: (row, announce) => {
        refuseSecondCommit('insertOnce');
        return changeOnce(insertOnceStatement(row), announce);
      },
    };
    try {
      await handler(context);
    } catch (error) {
      if (error instanceof DuplicateEventError) return 'duplicate';
      throw error;
    }
    if (!recorded && this.#options.inboxPrecheck) {
      // The handler changed nothing in this database (or did so on its own); record the event
      // so a redelivery is recognised. Failing here retries the handler: at-least-once.
      await db.query(
        `INSERT INTO processed_events (consumer_group, event_id, event_type)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [groupId, event.id, event.type],
      );
    }
    return 'processed';
  }

  async #isRecorded(eventId: string): Promise<boolean> {
    const { rows } = await this.#options.db.query(
      'SELECT 1 AS found FROM processed_events WHERE consumer_group = $1 AND event_id = $2',
      [this.#options.groupId, eventId],
    );
    return rows.length > 0;
  }

  async #deadLetterPoison(
    message: IncomingMessage,
    error: InvalidEventError,
    control: DeliveryControl,
  ): Promise<ProcessingResult> {
    const { metrics, logger } = this.#options;
    const startedAt = performance.now();
    metrics.consumed.inc({ topic: message.topic });
    logger.error(
      { err: error, topic: message.topic, partition: message.partition, offset: message.offset },
      'Message is not a valid event; dead-lettering it',
    );
    await this.#deadLetter(message, error, 1, control);
    metrics.deadLettered.inc({ topic: message.topic });
    metrics.processingSeconds.observe(
      { topic: message.topic, outcome: 'dead_lettered' },
      (performance.now() - startedAt) / 1000,
    );
    return 'dead_lettered';
  }

  async #deadLetter(
    message: IncomingMessage,
    error: unknown,
    attempts: number,
    control: DeliveryControl,
  ): Promise<void> {
    const record = {
      // deadLetterTopic() is typed for the system's own topics but is plain string concatenation.
      topic: deadLetterTopic(message.topic as Topic),
      key: message.key?.toString() ?? '',
      value: message.value ?? Buffer.alloc(0),
      headers: deadLetterHeaders(message.headers, {
        error,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        consumerGroup: this.#options.groupId,
        attempts,
        failedAt: this.#now(),
      }),
    };
    await inChildSpan(
      `send ${record.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': record.topic,
        },
      },
      () =>
        this.#infrastructure('publish to the dead-letter topic', control, () =>
          this.#options.deadLetters.publish([record]),
        ),
    );
  }

  /** Retries the runner's own work until it succeeds; only stopping or a rebalance ends it early. */
  async #infrastructure<T>(
    what: string,
    control: DeliveryControl,
    work: () => Promise<T>,
  ): Promise<T> {
    const backoff = this.#options.infrastructureBackoff ?? INFRASTRUCTURE_BACKOFF;
    for (let failures = 1; ; failures += 1) {
      try {
        return await work();
      } catch (error) {
        const retryInMs = backoffDelay(backoff, failures);
        this.#options.logger.warn(
          { err: error, failures, retryInMs },
          `Could not ${what}; retrying`,
        );
        await this.#wait(retryInMs, control);
      }
    }
  }

  /** Waits, heartbeating at least every heartbeat interval; throws when the consumer is stopping. */
  async #wait(ms: number, control: DeliveryControl): Promise<void> {
    const until = performance.now() + ms;
    for (;;) {
      if (control.signal.aborted) throw new ConsumerStoppingError();
      const remaining = until - performance.now();
      if (remaining <= 0) return;
      await delay(Math.min(remaining, control.heartbeatIntervalMs), control.signal);
      if (control.signal.aborted) throw new ConsumerStoppingError();
      await control.heartbeat();
    }
  }
}

/** The CONSUMER span of one delivery, under the producer's trace context; none while tracing is off. */
function consumerSpan(message: IncomingMessage, groupId: string): OpenSpan | undefined {
  if (!tracingActive()) return undefined;
  return openSpan(`process ${message.topic}`, {
    kind: SpanKind.CONSUMER,
    parent: headerText(message.headers, EVENT_HEADERS.traceparent),
    root: true,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': message.topic,
      'messaging.destination.partition.id': String(message.partition),
      'messaging.kafka.offset': Number(message.offset),
      'messaging.consumer.group.name': groupId,
    },
  });
}

/**
 * The statement of {@link EventContext.updateOnce} and {@link EventContext.insertOnce}: the inbox
 * row; the change, only when the inbox row is new (a redelivery changes nothing); the outbox row,
 * only when the change touched a row. Data-modifying CTEs all run against one snapshot, so the
 * change cannot see the new inbox row; it sees the `inbox` CTE's output instead. `change` is the
 * change's own SQL, ending in `RETURNING 1`, using `$1` … `$n` and `guard` (the condition that the
 * inbox row is new); the parameters after its own are the inbox's three and the outbox row's six
 * ({@link outboxValues}).
 */
function changeOnceStatement(n: number, change: (guard: string) => string): string {
  const p = (index: number) => `$${n + index}`;
  return `WITH inbox AS (
    INSERT INTO processed_events (consumer_group, event_id, event_type)
    VALUES (${p(1)}, ${p(2)}, ${p(3)}) ON CONFLICT DO NOTHING RETURNING 1
  ), changed AS (
    ${change('EXISTS (SELECT 1 FROM inbox)')}
  ), announced AS (
    ${outboxInsertFrom('changed', n + 4)}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inbox)::int AS recorded, (SELECT count(*) FROM changed)::int AS changed`;
}

function updateOnceStatement({ table, set, where, values }: RowUpdate) {
  return {
    sql: changeOnceStatement(
      values.length,
      (guard) => `UPDATE ${table} SET ${set} WHERE (${where}) AND ${guard} RETURNING 1`,
    ),
    values,
  };
}

/** An INSERT … SELECT, so that the guard can hold the row back; its columns type the values. */
function insertOnceStatement({ table, columns, values }: RowInsert) {
  if (columns.length === 0 || columns.length !== values.length)
    throw new RangeError(
      `insertOnce: ${columns.length} columns for ${values.length} values into ${table}`,
    );
  const placeholders = values.map((_, index) => `$${index + 1}`).join(', ');
  return {
    sql: changeOnceStatement(
      values.length,
      (guard) =>
        `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${placeholders} WHERE ${guard}
    ON CONFLICT DO NOTHING RETURNING 1`,
    ),
    values,
  };
}
