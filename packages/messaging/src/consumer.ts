import { deadLetterTopic, type Topic } from '@mercato/contracts';
import { type Logger } from '@mercato/logger';
import { type KafkaMetrics } from '@mercato/metrics';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type RetryOptions,
} from 'kafkajs';
import { retryRetriable, validBackoff } from './backoff.js';
import { type ConsumerOptions, type EventConsumer } from './consumer-types.js';
import { MessageProcessor } from './message-processor.js';
import { type EventPublisher } from './publisher.js';

const DEFAULTS = {
  maxAttempts: 5,
  retryBackoffMs: { initial: 500, max: 10_000 },
  lagIntervalMs: 5_000,
  // A member that vanished without leaving the group (a crash, or every member after a broker
  // restart, which all rejoin under new ids) holds the rebalance up until its session expires;
  // kafkajs' 30 s made a broker outage cost 35–40 s of saga progress. Heartbeats go every 3 s and
  // between fetches of at most 1 s, so 10 s still tolerates two missed beats.
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 3_000,
  // One lane per partition of a topic made by ensureTopics (3): a slow handler (a charge, with its
  // gRPC call and transactions) no longer holds up the records of the other partitions, and each
  // partition's records — one key's events — are still handled one at a time, in order.
  partitionsConsumedConcurrently: 3,
  // Within a partition's batch, records of different keys (different orders) are handled side by
  // side, one key's records still one after another. A charge spends most of its time waiting —
  // for the order service, the provider, the database — and one partition handling its records one
  // at a time queued the saga behind it at 50 orders/s (bench/README.md, D56). Eight lanes per
  // partition, three partitions: at most 24 handlers at once, against a pool of 10 connections.
  keysConsumedConcurrently: 8,
  // kafkajs' auto-commit sends an OffsetCommit after every batch it fetched — one per record when
  // records trickle in — and each is an append to the broker's offsets log. Committing the
  // resolved offsets once a second instead took a quarter of the broker's CPU time per checkout.
  commitIntervalMs: 1_000,
} as const;

/**
 * Start-up attempts on errors Kafka calls retriable. kafkajs retries most requests itself, but not
 * the metadata request of `subscribe`: a topic created a moment before (by this very process, at
 * start-up) can still be "not hosted" or leaderless there, and the start failed at once.
 */
const START_ATTEMPTS = 6;
const START_BACKOFF = { initial: 250, max: 2_000 } as const;

/** The key of a topic's partition in the consumer's maps. */
const partitionKey = ({ topic, partition }: { topic: string; partition: number }) =>
  `${topic}:${partition}`;

interface ResolvedOffset {
  topic: string;
  partition: number;
  /** The next offset to read: the resolved record's offset + 1, as Kafka commits it. */
  offset: string;
}

/** What a consumer takes from the client that made it. */
export interface ConsumerDependencies {
  kafka: Kafka;
  /** The client's admin connection (topic checks, lag). */
  admin: () => Promise<Admin>;
  /** A publisher for dead letters, owned by the consumer. */
  createPublisher: () => EventPublisher;
  metrics: KafkaMetrics;
  retry: RetryOptions;
}

/**
 * A kafkajs consumer group member running {@link MessageProcessor} on every record, one key's
 * records strictly in order: a partition's batch is split into lanes by record key, and up to
 * `keysConsumedConcurrently` lanes run at once. Offsets are committed only up to the first record
 * whose processing has not resolved — processed, skipped, duplicate or dead-lettered — so delivery
 * is at least once (a record of another key that finished past it is delivered again after a
 * crash, and its handler recognises it). They are committed by the consumer itself, not by kafkajs'
 * auto-commit: every `commitIntervalMs`, when a rebalance begins (while the partitions are still
 * this member's) and at stop, after the records in flight.
 */
export class KafkaEventConsumer implements EventConsumer {
  readonly #options: ConsumerOptions;
  /** Lanes per partition's batch (the option, or its default). */
  readonly #keysConsumedConcurrently: number;
  readonly #dependencies: ConsumerDependencies;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  #consumer: Consumer | undefined;
  #deadLetters: EventPublisher | undefined;
  #lagTimer: NodeJS.Timeout | undefined;
  #assignment: Readonly<Record<string, readonly number[]>> = {};
  readonly #reportedLag = new Map<string, { topic: string; partition: number }>();
  #startup: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #measuringLag = false;
  // Resolved and not committed yet: the latest per partition.
  readonly #resolved = new Map<string, ResolvedOffset>();
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #settled: (() => void) | undefined;
  #closing = false;

  constructor(options: ConsumerOptions, dependencies: ConsumerDependencies) {
    if (options.topics.length === 0) throw new Error('A consumer needs at least one topic');
    const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
    }
    validBackoff(options.retryBackoffMs ?? DEFAULTS.retryBackoffMs, 'retryBackoffMs');
    const keys = options.keysConsumedConcurrently ?? DEFAULTS.keysConsumedConcurrently;
    if (!Number.isInteger(keys) || keys < 1) {
      throw new RangeError(`keysConsumedConcurrently must be a positive integer, got ${keys}`);
    }
    this.#keysConsumedConcurrently = keys;
    this.#options = options;
    this.#dependencies = dependencies;
    this.#logger = options.logger.child({ consumerGroup: options.groupId });
  }

  start(): Promise<void> {
    if (this.#startup || this.#stopped) {
      return Promise.reject(new Error('A consumer can be started once'));
    }
    this.#startup = retryRetriable(() => this.#attemptStart(), {
      attempts: START_ATTEMPTS,
      backoff: START_BACKOFF,
      signal: this.#stopping.signal,
      onRetry: (error, failures, retryInMs) =>
        this.#logger.warn(
          { err: error, failures, retryInMs },
          'Kafka consumer not started; retrying',
        ),
    }).catch((error: unknown) => {
      // Nothing is left connected: the caller may simply try again.
      this.#startup = undefined;
      throw error;
    });
    return this.#startup;
  }

  /** One attempt to start; a failed one leaves nothing connected behind. */
  #attemptStart(): Promise<void> {
    return this.#start().catch(async (error: unknown) => {
      await this.#consumer?.disconnect().catch(() => undefined);
      await this.#deadLetters?.disconnect().catch(() => undefined);
      this.#consumer = undefined;
      this.#deadLetters = undefined;
      throw error;
    });
  }

  async #start(): Promise<void> {
    const options = this.#options;
    const { kafka, metrics, retry } = this.#dependencies;
    await this.#checkTopicsExist();

    const deadLetters = this.#dependencies.createPublisher();
    this.#deadLetters = deadLetters;
    await deadLetters.connect();

    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs;
    const processor = new MessageProcessor({
      groupId: options.groupId,
      db: options.db,
      handler: options.handler,
      inboxPrecheck: options.inboxPrecheck ?? true,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      backoff: options.retryBackoffMs ?? DEFAULTS.retryBackoffMs,
      eventTypes: options.eventTypes ? new Set(options.eventTypes) : undefined,
      deadLetters,
      metrics,
      logger: this.#logger,
    });

    const consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      // An idle fetch waits this long for data; it also bounds how long stop() waits for one.
      maxWaitTimeInMs: 1_000,
      allowAutoTopicCreation: false,
      retry: { ...retry, restartOnFailure: async () => true },
    });
    this.#consumer = consumer;
    // A rebalance may take partitions away: what was resolved on them is committed first.
    consumer.on(consumer.events.REBALANCING, () => void this.#commitResolved());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#assignment = payload.memberAssignment;
      // Offsets of partitions now another member's are left to it (it reads from the last commit).
      for (const [id, resolved] of this.#resolved) {
        if (!payload.memberAssignment[resolved.topic]?.includes(resolved.partition))
          this.#resolved.delete(id);
      }
      this.#logger.info(
        { assignment: payload.memberAssignment, isLeader: payload.isLeader },
        'Joined the consumer group',
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#logger.error(
        { err: payload.error, restart: payload.restart },
        payload.restart
          ? 'Kafka consumer crashed; it restarts'
          : 'Kafka consumer crashed and stopped',
      );
    });

    await consumer.connect();
    await consumer.subscribe({
      topics: [...options.topics],
      fromBeginning: options.fromBeginning ?? true,
    });
    const signal = this.#stopping.signal;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently:
        options.partitionsConsumedConcurrently ?? DEFAULTS.partitionsConsumedConcurrently,
      // The batch is resolved record by record below, as far as every record before is done.
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        this.#consumeBatch(payload, processor, {
          heartbeat: () => payload.heartbeat(),
          signal,
          heartbeatIntervalMs,
        }),
    });
    this.#commitTimer = setInterval(
      () => void this.#commitResolved(),
      options.commitIntervalMs ?? DEFAULTS.commitIntervalMs,
    );
    this.#commitTimer.unref();
    this.#lagTimer = setInterval(
      () => void this.#reportLag(),
      options.lagIntervalMs ?? DEFAULTS.lagIntervalMs,
    );
    this.#lagTimer.unref();
    this.#logger.info({ topics: options.topics }, 'Consumer started');
  }

  /**
   * One partition's batch: its records in lanes by key, up to `keysConsumedConcurrently` lanes at
   * once, each lane's records one after another in offset order. As records finish, the batch is
   * resolved up to the first one not finished. A record that fails (stopping, or a heartbeat's
   * rebalance error) ends its lane; the other lanes finish what they started, start nothing new,
   * and the first error is thrown once all have settled, so kafkajs reads the partition again from
   * the first unresolved record.
   */
  async #consumeBatch(
    payload: EachBatchPayload,
    processor: MessageProcessor,
    control: { heartbeat: () => Promise<void>; signal: AbortSignal; heartbeatIntervalMs: number },
  ): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    const lanes = new Map<string | null, number[]>();
    messages.forEach((message, index) => {
      // latin1 maps each byte to one character: equal strings, equal keys.
      const key = message.key === null ? null : message.key.toString('latin1');
      const lane = lanes.get(key);
      if (lane) lane.push(index);
      else lanes.set(key, [index]);
    });
    const finished = new Array<boolean>(messages.length).fill(false);
    let resolvedUpTo = 0;
    let failure: { error: unknown } | undefined;
    const finish = (index: number) => {
      finished[index] = true;
      if (index !== resolvedUpTo) return;
      while (resolvedUpTo < messages.length && finished[resolvedUpTo]) resolvedUpTo += 1;
      const last = messages[resolvedUpTo - 1]!;
      payload.resolveOffset(last.offset);
      this.#resolved.set(partitionKey({ topic, partition }), {
        topic,
        partition,
        offset: (BigInt(last.offset) + 1n).toString(),
      });
    };
    const handle = async (message: KafkaMessage) => {
      this.#inFlight += 1;
      try {
        await processor.process(
          {
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            timestamp: message.timestamp,
            ...(message.headers ? { headers: message.headers } : {}),
          },
          control,
        );
      } finally {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) this.#settled?.();
      }
    };
    const queue = [...lanes.values()];
    const runLanes = async () => {
      for (let lane = queue.shift(); lane !== undefined; lane = queue.shift()) {
        for (const index of lane) {
          // Stopping, a lane failed, or the partition is no longer this member's to read from
          // here (a rebalance, a seek): a record fetched but not started is left, uncommitted, for
          // the next delivery.
          if (this.#closing || failure || !payload.isRunning() || payload.isStale()) return;
          try {
            await handle(messages[index]!);
            finish(index);
            // As kafkajs does between the records of eachMessage: sent only once the heartbeat
            // interval has passed; a rebalance under way answers it with an error.
            await payload.heartbeat();
          } catch (error) {
            failure ??= { error };
            return;
          }
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#keysConsumedConcurrently, queue.length) }, runLanes),
    );
    if (failure) throw failure.error;
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping.abort();
    await this.#startup?.catch(() => undefined);
    clearInterval(this.#lagTimer);
    clearInterval(this.#commitTimer);
    const consumer = this.#consumer;
    if (consumer) {
      // No record starts any more; the ones in flight finish (no new retry starts), then what was
      // resolved is committed while this is still a member, and only then does it leave.
      this.#closing = true;
      consumer.pause(this.#options.topics.map((topic) => ({ topic })));
      if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => {
          this.#settled = resolve;
        });
      }
      await this.#commitResolved();
    }
    await this.#consumer?.disconnect();
    await this.#deadLetters?.disconnect();
    for (const { topic, partition } of this.#reportedLag.values()) {
      this.#dependencies.metrics.consumerLag.remove({
        topic,
        partition,
        group: this.#options.groupId,
      });
    }
    this.#reportedLag.clear();
    if (this.#consumer) this.#logger.info('Consumer stopped');
  }

  async #checkTopicsExist(): Promise<void> {
    const admin = await this.#dependencies.admin();
    const existing = new Set(await admin.listTopics());
    const needed = this.#options.topics.flatMap((topic) => [
      topic,
      deadLetterTopic(topic as Topic),
    ]);
    const missing = needed.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new Error(
        `Kafka topics ${missing.join(', ')} do not exist; create them first (MessagingClient.ensureTopics)`,
      );
    }
  }

  /**
   * Commits the resolved offsets not committed yet, one commit at a time. A failed commit (a
   * rebalance under way, the broker away) is logged and its offsets are kept for the next one,
   * unless a later record of the partition resolved meanwhile.
   */
  #commitResolved(): Promise<void> {
    this.#committing = this.#committing.then(async () => {
      const consumer = this.#consumer;
      if (!consumer || this.#resolved.size === 0) return;
      const offsets = [...this.#resolved.values()];
      this.#resolved.clear();
      try {
        await consumer.commitOffsets(offsets);
      } catch (error) {
        this.#logger.debug(
          { err: error },
          'Could not commit offsets; they go with the next commit',
        );
        for (const offset of offsets) {
          const id = partitionKey(offset);
          if (!this.#resolved.has(id)) this.#resolved.set(id, offset);
        }
      }
    });
    return this.#committing;
  }

  /** Lag per assigned partition: high watermark − committed offset (the log start when none). */
  async #reportLag(): Promise<void> {
    if (this.#measuringLag) return;
    this.#measuringLag = true;
    const group = this.#options.groupId;
    const assignment = this.#assignment;
    try {
      const admin = await this.#dependencies.admin();
      const topics = Object.keys(assignment);
      const committed =
        topics.length > 0 ? await admin.fetchOffsets({ groupId: group, topics }) : [];
      const current = new Map<string, { topic: string; partition: number; lag: number }>();
      for (const topic of topics) {
        const watermarks = await admin.fetchTopicOffsets(topic);
        const commits = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
        for (const partition of assignment[topic] ?? []) {
          const watermark = watermarks.find((entry) => entry.partition === partition);
          if (!watermark) continue;
          const commit = Number(
            commits.find((entry) => entry.partition === partition)?.offset ?? -1,
          );
          const position = Math.max(commit, Number(watermark.low));
          const lag = Math.max(0, Number(watermark.high) - position);
          current.set(partitionKey({ topic, partition }), { topic, partition, lag });
        }
      }
      if (this.#stopping.signal.aborted) return;
      for (const [id, position] of this.#reportedLag) {
        if (!current.has(id)) this.#dependencies.metrics.consumerLag.remove({ ...position, group });
      }
      this.#reportedLag.clear();
      for (const [id, { topic, partition, lag }] of current) {
        this.#dependencies.metrics.setLag({ topic, partition, group }, lag);
        this.#reportedLag.set(id, { topic, partition });
      }
    } catch (error) {
      this.#logger.debug({ err: error }, 'Could not measure consumer lag');
    } finally {
      this.#measuringLag = false;
    }
  }
}
