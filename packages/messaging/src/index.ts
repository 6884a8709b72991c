export { MESSAGING_MIGRATIONS } from './migrations.js';
export {
  appendToOutbox,
  outboxInsertFrom,
  outboxValues,
  type AppendToOutboxOptions,
} from './outbox.js';
export {
  createMessagingClient,
  KAFKA_RETRY,
  type MessagingClient,
  type MessagingClientOptions,
  type TopicSpec,
} from './client.js';
export { type EventPublisher, type OutgoingRecord } from './publisher.js';
export { type EventListener, type ListenerOptions } from './listener.js';
export { OutboxRelay, relayMetrics, type OutboxRelayOptions } from './outbox-relay.js';
export {
  MessagingRetention,
  retentionMetrics,
  type MessagingRetentionOptions,
  type RetentionSweep,
} from './retention.js';
export {
  type ConsumerOptions,
  type EventConsumer,
  type EventContext,
  type EventHandler,
  type RowInsert,
  type RowUpdate,
} from './consumer-types.js';
export { DuplicateEventError, PermanentEventError } from './errors.js';
export {
  DEAD_LETTER_HEADERS,
  EVENT_HEADERS,
  headerText,
  textHeaders,
  type HeaderValue,
  type MessageHeaders,
} from './headers.js';
export { type Backoff } from './backoff.js';
