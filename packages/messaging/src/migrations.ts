import { type Migration } from '@mercato/db';

/**
 * The transactional outbox: a service writes an event in the same transaction as the state change
 * it announces; the relay publishes unpublished rows to Kafka in id order and only then sets
 * `published_at`.
 */
const OUTBOX: Migration = {
  version: 1001,
  name: 'messaging_outbox',
  sql: `
CREATE TABLE outbox (
  id           bigserial   PRIMARY KEY,
  event_id     uuid        NOT NULL UNIQUE,
  topic        text        NOT NULL,
  message_key  text        NOT NULL,
  event_type   text        NOT NULL,
  payload      jsonb       NOT NULL,
  headers      jsonb       NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);

-- The relay's only read: the oldest unpublished rows. Published rows drop out of the index.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
`,
};

/**
 * The inbox: one row per event a consumer group has processed, written in the same transaction as
 * the handler's state change, so a redelivered event has no second effect.
 */
const PROCESSED_EVENTS: Migration = {
  version: 1002,
  name: 'messaging_processed_events',
  sql: `
CREATE TABLE processed_events (
  consumer_group text        NOT NULL,
  event_id       uuid        NOT NULL,
  event_type     text        NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
`,
};

/**
 * Lets the retention sweep (`MessagingRetention`) find expired inbox rows without reading the whole
 * table. The outbox needs no such index: its expired rows are the front of its primary key.
 */
const PROCESSED_EVENTS_BY_AGE: Migration = {
  version: 1003,
  name: 'messaging_processed_events_processed_at',
  sql: `
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);
`,
};

/** The channel on which a commit that added outbox rows wakes the relay (`LISTEN outbox`). */
export const OUTBOX_CHANNEL = 'outbox';

/**
 * Wakes the relay when rows are committed: one notification per inserting statement, delivered by
 * PostgreSQL only when (and only if) the transaction commits, and folded into one per transaction
 * since the payload is always the same. The relay still polls, so a notification lost while its
 * connection was down delays rows by one poll interval at most.
 */
const OUTBOX_NOTIFY: Migration = {
  version: 1004,
  name: 'messaging_outbox_notify',
  sql: `
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
`,
};

/**
 * The tables this package needs, to be applied with a service's own migrations. Versions start at
 * 1001 so they never collide with a service's `001`…`999`.
 */
export const MESSAGING_MIGRATIONS: readonly Migration[] = [
  OUTBOX,
  PROCESSED_EVENTS,
  PROCESSED_EVENTS_BY_AGE,
  OUTBOX_NOTIFY,
];
