import { randomUUID } from 'node:crypto';
import { parseEvent, type EventEnvelope } from '@mercato/contracts';
import { type Logger } from '@mercato/logger';
import { type Consumer, type Kafka, type RetryOptions } from 'kafkajs';

/** What a listener reads and whom it tells. */
export interface ListenerOptions {
  /** Prefix of the listener's own consumer group; each listener adds a unique suffix. */
  groupPrefix: string;
  topics: readonly string[];
  /** Called for every valid event, in partition order. Must not throw. */
  onEvent(event: EventEnvelope): void;
  /** Called for a record that is not a valid event (the listener cannot tell what it was about). */
  onInvalid(error: unknown): void;
  /**
   * Called when the listener becomes live (it has joined its group and its fetches answer) and
   * when it stops being live (stopped, crashed, rebalancing, or no fetch answered for
   * `staleAfterMs`). While it is not live, events may be missed.
   */
  onLiveChange(live: boolean): void;
  /** A listener whose last answered fetch is older than this is not live (default 3 000 ms). */
  staleAfterMs?: number;
  logger: Logger;
}

/** A running listener. */
export interface EventListener {
  /** Whether every event published from now on will reach `onEvent`. */
  readonly live: boolean;
  /** Creates nothing: the topics must exist. Joins, and starts reading from the newest offset. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

// Long-polls end after this when nothing arrives, so an answered fetch proves liveness often.
const MAX_WAIT_MS = 250;
const DEFAULT_STALE_AFTER_MS = 3_000;

/**
 * A consumer for in-memory caches and other per-process views: each instance is a group of its
 * own (every replica sees every event), starts at the newest offset, commits nothing and keeps no
 * inbox (applying an event twice must be harmless, e.g. an eviction). It reports whether it is
 * live, so its owner can stop trusting what it holds the moment events might be missed.
 */
export class KafkaEventListener implements EventListener {
  readonly #consumer: Consumer;
  readonly #options: ListenerOptions;
  readonly #staleAfterMs: number;
  readonly #groupId: string;
  #joined = false;
  #lastFetchAt = 0;
  #live = false;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(kafka: Kafka, options: ListenerOptions & { retry: RetryOptions }) {
    this.#options = options;
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#groupId = `${options.groupPrefix}-${randomUUID()}`;
    this.#consumer = kafka.consumer({
      groupId: this.#groupId,
      maxWaitTimeInMs: MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
      retry: { ...options.retry, restartOnFailure: async () => true },
    });
    const { events } = this.#consumer;
    this.#consumer.on(events.GROUP_JOIN, () => {
      this.#joined = true;
    });
    this.#consumer.on(events.FETCH, () => {
      this.#lastFetchAt = Date.now();
      this.#setLive(this.#joined);
    });
    for (const event of [events.REBALANCING, events.CRASH, events.DISCONNECT, events.STOP]) {
      this.#consumer.on(event, () => {
        this.#joined = false;
        this.#setLive(false);
      });
    }
  }

  get live(): boolean {
    return this.#live;
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#options.topics], fromBeginning: false });
    await this.#consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        let event: EventEnvelope;
        try {
          event = parseEvent(message.value);
        } catch (error) {
          this.#options.onInvalid(error);
          return;
        }
        this.#options.onEvent(event);
      },
    });
    this.#watchdog = setInterval(
      () => {
        if (this.#live && Date.now() - this.#lastFetchAt > this.#staleAfterMs) this.#setLive(false);
      },
      Math.max(100, Math.floor(this.#staleAfterMs / 4)),
    );
    this.#watchdog.unref();
    this.#options.logger.info({ groupId: this.#groupId }, 'event listener started');
  }

  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#setLive(false);
    await this.#consumer.disconnect();
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#options.logger[live ? 'info' : 'warn'](
      { groupId: this.#groupId },
      live ? 'event listener is live' : 'event listener is not live; events may be missed',
    );
    this.#options.onLiveChange(live);
  }
}
