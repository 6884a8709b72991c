import { Injectable } from '@nestjs/common';
import type { Queryable } from '@mercato/db';
import { EVENT_TOPICS, type EventEnvelope } from '@mercato/contracts';
import { getLogContext } from '@mercato/logger';

/**
 * Writes events into the outbox table inside the caller's transaction, so an event exists if and
 * only if the state change it announces was committed. The relay publishes them to Kafka.
 */
@Injectable()
export class OutboxRepository {
  /** Appends an event; the Kafka record key is the event's subject (the order id). */
  async append(tx: Queryable, event: EventEnvelope): Promise<void> {
    const context = getLogContext();
    const headers =
      typeof context?.traceparent === 'string' ? { traceparent: context.traceparent } : {};
    await tx.query(
      `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        event.id,
        EVENT_TOPICS[event.type],
        event.subject,
        event.type,
        JSON.stringify(event),
        JSON.stringify(headers),
      ],
    );
  }
}
