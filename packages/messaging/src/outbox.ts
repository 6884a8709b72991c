import { EVENT_TOPICS, parseEvent, serializeEvent, type EventEnvelope } from '@mercato/contracts';
import { type Queryable } from '@mercato/db';
import { correlationHeadersFromLogContext } from './headers.js';

/** Overrides for {@link appendToOutbox}. */
export interface AppendToOutboxOptions {
  /** Topic to publish to instead of the event type's own (`EVENT_TOPICS`); tests use private topics. */
  readonly topic?: string;
  /** Extra record headers, added to the correlation headers taken from the log context. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Writes `event` to the outbox inside the caller's transaction, so the event exists if and only if
 * the state change it announces commits. Topic from `EVENT_TOPICS`, record key = `event.subject`;
 * the ambient trace context and request id (from the log context) become record headers.
 * Throws `InvalidEventError` for an event that does not match its schema: it would be poison.
 */
export async function appendToOutbox(
  tx: Queryable,
  event: EventEnvelope,
  options: AppendToOutboxOptions = {},
): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    outboxValues(event, options),
  );
}

/**
 * SQL that inserts one outbox row — the values of {@link outboxValues} at parameters `$first` …
 * `$first+5` — once if `source` (a CTE or table of the same statement) has a row, else none: the
 * announcement of a data-modifying statement that changed something, in that statement.
 */
export function outboxInsertFrom(source: string, first: number): string {
  const p = (offset: number) => `$${first + offset}`;
  return `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
    SELECT ${p(0)}::uuid, ${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::jsonb, ${p(5)}::jsonb
      FROM ${source} LIMIT 1`;
}

/**
 * The values of `event`'s outbox row — event id, topic, record key, event type, payload and
 * headers, in that order — as {@link appendToOutbox} writes them. Throws `InvalidEventError` for an
 * event that does not match its schema.
 */
export function outboxValues(event: EventEnvelope, options: AppendToOutboxOptions = {}): unknown[] {
  const validated = parseEvent(serializeEvent(event));
  const headers = { ...correlationHeadersFromLogContext(), ...options.headers };
  return [
    validated.id,
    options.topic ?? EVENT_TOPICS[validated.type],
    validated.subject,
    validated.type,
    JSON.stringify(validated),
    JSON.stringify(headers),
  ];
}
