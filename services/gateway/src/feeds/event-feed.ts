import type { EventEnvelope } from '@mercato/contracts';
import type { Logger } from '@mercato/logger';
import { createMessagingClient, type EventListener } from '@mercato/messaging';

/**
 * A change feed of the gateway: one Kafka listener (a group of its own, newest offsets only, no
 * commits) that keeps a per-process view fresh — the catalog cache, the order waits.
 */
export interface EventFeed {
  /** Whether every event published from now on reaches the feed. */
  readonly live: boolean;
  /** Connects in the background, retrying until it is stopped. */
  start(): void;
  stop(): Promise<void>;
}

/** What a feed reads and what it does with it. */
export interface EventFeedOptions {
  brokers: readonly string[];
  namespace: string;
  /** Names the feed in logs and its listener's consumer group, e.g. `catalog`. */
  name: string;
  /** The topic read; the gateway creates it if its producer has not yet. */
  topic: string;
  logger: Logger;
  onEvent(event: EventEnvelope): void;
  onInvalid(error: unknown): void;
  onLiveChange(live: boolean): void;
}

const RETRY_START_MS = 5_000;
// The feed retries by itself (every RETRY_START_MS) and must not hold up a shutdown while Kafka is
// away, so each Kafka request gives up after a few seconds instead of kafkajs' default ~35 s.
const FEED_KAFKA_RETRY = {
  initialRetryTime: 200,
  maxRetryTime: 1_000,
  retries: 3,
  factor: 0.2,
  multiplier: 2,
} as const;

/**
 * Starts listening in the background and keeps trying every few seconds while Kafka cannot be
 * reached; `onLiveChange` tells its user when to trust the view and when not to.
 */
export function createEventFeed(options: EventFeedOptions): EventFeed {
  const { logger } = options;
  const messaging = createMessagingClient({
    brokers: options.brokers,
    clientId: 'gateway',
    namespace: options.namespace,
    logger,
    retry: FEED_KAFKA_RETRY,
  });
  let listener: EventListener | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    // The producing service creates the topic as it publishes; the gateway may start first.
    await messaging.ensureTopics([{ topic: options.topic }]);
    listener = messaging.createListener({
      groupPrefix: `gateway-${options.name}`,
      topics: [options.topic],
      logger,
      onEvent: (event) => options.onEvent(event),
      onInvalid: (error) => options.onInvalid(error),
      onLiveChange: (live) => options.onLiveChange(live),
    });
    await listener.start();
  };

  const attempt = () => {
    if (stopped) return;
    connect().catch((error: unknown) => {
      logger.warn(
        { err: error, feed: options.name, retryInMs: RETRY_START_MS },
        `${options.name} change feed could not start; retrying`,
      );
      const failed = listener;
      listener = undefined;
      void failed?.stop().catch(() => undefined);
      retry = setTimeout(attempt, RETRY_START_MS);
      retry.unref();
    });
  };

  return {
    get live() {
      return listener?.live ?? false;
    },
    start: attempt,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      options.onLiveChange(false);
      await messaging.close();
    },
  };
}
