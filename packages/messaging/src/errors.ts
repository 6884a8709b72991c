/**
 * Thrown by `EventContext.transaction` when this consumer group already recorded the event: another
 * delivery of it got there first. The transaction is rolled back; the runner counts a duplicate.
 */
export class DuplicateEventError extends Error {
  constructor(
    readonly eventId: string,
    readonly consumerGroup: string,
  ) {
    super(`Event ${eventId} was already processed by consumer group ${consumerGroup}`);
    this.name = 'DuplicateEventError';
  }
}

/**
 * Thrown by a handler for a message that can never succeed (it contradicts the handler's state,
 * refers to something that cannot exist…): the runner dead-letters it at once, without retries.
 */
export class PermanentEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

/** Raised inside the runner when `stop()` interrupts a message; the message stays uncommitted. */
export class ConsumerStoppingError extends Error {
  constructor() {
    super('The consumer is stopping; the message will be redelivered');
    this.name = 'ConsumerStoppingError';
  }
}
