import { type Logger } from '@mercato/logger';
import { kafkaMetrics, type KafkaMetrics } from '@mercato/metrics';
import { type Admin, Kafka, Partitioners, type RetryOptions } from 'kafkajs';
import { Registry } from 'prom-client';
import { retryRetriable } from './backoff.js';
import { KafkaEventConsumer } from './consumer.js';
import { type ConsumerOptions, type EventConsumer } from './consumer-types.js';
import { kafkajsLogCreator, kafkajsLogLevel } from './kafka-logging.js';
import { KafkaEventListener, type EventListener, type ListenerOptions } from './listener.js';
import { KafkaEventPublisher, type EventPublisher } from './publisher.js';

/** How to reach Kafka. */
export interface MessagingClientOptions {
  /** `host:port` of one or more brokers (the rest are discovered). */
  brokers: readonly string[];
  /** Names this process in broker logs and quotas, e.g. `order-service`. */
  clientId: string;
  logger: Logger;
  /** Where producer metrics go (consumers take their own `registry` option). */
  registry?: Registry;
  /** Replication factor of topics `ensureTopics` creates (default 1: a single dev broker; use 3 in production). */
  replicationFactor?: number;
  /**
   * Prefix of every topic and consumer group this client uses (e.g. `staging.`), so environments
   * or parallel test runs can share one cluster without seeing each other's events. Callers keep
   * using the plain names of the contracts package; the prefix is applied here only.
   */
  namespace?: string;
  /**
   * Retries of every Kafka request (default {@link KAFKA_RETRY}, about 35 s in all). A process
   * that retries on its own and must stop promptly while Kafka is away takes fewer.
   */
  retry?: Readonly<Required<Omit<RetryOptions, 'restartOnFailure'>>>;
}

/** A topic `ensureTopics` makes sure exists. */
export interface TopicSpec {
  topic: string;
  /** Partitions when created (default 3). An existing topic is left as it is. */
  partitions?: number;
}

/** Kafka behind Mercato's own interface: topics, publishers and consumers from one connection config. */
export interface MessagingClient {
  /** Creates the topics that do not exist yet; safe to call from every replica at start-up. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** A new idempotent publisher (acks=all); connect it before use. */
  createPublisher(): EventPublisher;
  /** A new consumer group member; `start()` it. */
  createConsumer(options: ConsumerOptions): EventConsumer;
  /**
   * A listener for per-process views such as caches: a group of its own, newest offsets only,
   * no inbox, no commits; `start()` it.
   */
  createListener(options: ListenerOptions): EventListener;
  /** Stops every consumer and disconnects every publisher this client made, then itself. */
  close(): Promise<void>;
}

/**
 * Retries of every Kafka request: 300 ms doubling to 5 s, 10 retries — about 35 s in all, so a
 * broker restart or a leader election is ridden out inside one call. Beyond that a call fails
 * and its owner retries: the outbox relay with its own backoff, a consumer by restarting.
 */
export const KAFKA_RETRY: Readonly<Required<Omit<RetryOptions, 'restartOnFailure'>>> = {
  initialRetryTime: 300,
  maxRetryTime: 5_000,
  retries: 10,
  factor: 0.2,
  multiplier: 2,
};

const DEFAULT_PARTITIONS = 3;
/** ensureTopics: up to 8 attempts, 200 ms … 2 s apart (about 9 s in all). */
const ENSURE_TOPICS_ATTEMPTS = 8;
const ENSURE_TOPICS_BACKOFF = { initial: 200, max: 2_000 } as const;

/** Creates a client; nothing connects until a publisher, consumer or `ensureTopics` needs it. */
export function createMessagingClient(options: MessagingClientOptions): MessagingClient {
  return new KafkaMessagingClient(options);
}

class KafkaMessagingClient implements MessagingClient {
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #metrics: KafkaMetrics;
  readonly #replicationFactor: number;
  readonly #namespace: string;
  readonly #retry: Readonly<Required<Omit<RetryOptions, 'restartOnFailure'>>>;
  readonly #publishers = new Set<EventPublisher>();
  readonly #consumers = new Set<EventConsumer>();
  readonly #listeners = new Set<EventListener>();
  #admin: Promise<Admin> | undefined;
  #closed = false;

  constructor(options: MessagingClientOptions) {
    if (options.brokers.length === 0) throw new Error('At least one Kafka broker is needed');
    this.#logger = options.logger;
    this.#metrics = kafkaMetrics(options.registry ?? new Registry());
    this.#replicationFactor = options.replicationFactor ?? 1;
    this.#namespace = options.namespace ?? '';
    this.#retry = options.retry ?? KAFKA_RETRY;
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: this.#retry,
      logLevel: kafkajsLogLevel(options.logger),
      logCreator: kafkajsLogCreator(options.logger),
    });
  }

  /**
   * Retried as a whole on retriable errors: on a broker that has just started, or when replicas
   * create the same topics at once, a topic the controller created can be missing from the
   * metadata for a moment (UNKNOWN_TOPIC_OR_PARTITION), and kafkajs gives up on that at once.
   */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return retryRetriable(() => this.#createMissingTopics(topics), {
      attempts: ENSURE_TOPICS_ATTEMPTS,
      backoff: ENSURE_TOPICS_BACKOFF,
      onRetry: (error, failures, retryInMs) => {
        this.#logger.warn({ err: error, failures, retryInMs }, 'Kafka topics not ready; retrying');
      },
    });
  }

  async #createMissingTopics(topics: readonly TopicSpec[]): Promise<void> {
    const admin = await this.#connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const wanted = new Map(
      topics.map((spec) => [
        this.#namespace + spec.topic,
        { ...spec, topic: this.#namespace + spec.topic },
      ]),
    );
    const missing = [...wanted.values()].filter(({ topic }) => !existing.has(topic));
    if (missing.length === 0) return;
    // Another replica may create the same topics at the same moment; kafkajs then reports
    // "already exists", which is the outcome we want.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, partitions }) => ({
        topic,
        numPartitions: partitions ?? DEFAULT_PARTITIONS,
        replicationFactor: this.#replicationFactor,
      })),
    });
    this.#logger.info({ topics: missing.map(({ topic }) => topic) }, 'Created Kafka topics');
  }

  createPublisher(): EventPublisher {
    const publisher = this.#rawPublisher();
    if (!this.#namespace) return publisher;
    const namespace = this.#namespace;
    return {
      connect: () => publisher.connect(),
      disconnect: () => publisher.disconnect(),
      publish: (records) =>
        publisher.publish(
          records.map((record) => ({ ...record, topic: namespace + record.topic })),
        ),
    };
  }

  /** A publisher that sends to topics exactly as named (the consumers' DLQ topics are namespaced already). */
  #rawPublisher(): EventPublisher {
    this.#assertOpen();
    const publisher = new KafkaEventPublisher(
      () =>
        this.#kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          // Java's murmur2 partitioner: a key maps to the partition every other Kafka client picks.
          createPartitioner: Partitioners.DefaultPartitioner,
          retry: this.#retry,
        }),
      this.#metrics,
      this.#logger,
    );
    this.#publishers.add(publisher);
    return publisher;
  }

  createConsumer(options: ConsumerOptions): EventConsumer {
    this.#assertOpen();
    const namespaced = {
      ...options,
      groupId: this.#namespace + options.groupId,
      topics: options.topics.map((topic) => this.#namespace + topic),
    };
    const consumer = new KafkaEventConsumer(namespaced, {
      kafka: this.#kafka,
      admin: () => this.#connectedAdmin(),
      createPublisher: () => this.#rawPublisher(),
      metrics: options.registry ? kafkaMetrics(options.registry) : this.#metrics,
      retry: this.#retry,
    });
    this.#consumers.add(consumer);
    return consumer;
  }

  createListener(options: ListenerOptions): EventListener {
    this.#assertOpen();
    const listener = new KafkaEventListener(this.#kafka, {
      ...options,
      groupPrefix: this.#namespace + options.groupPrefix,
      topics: options.topics.map((topic) => this.#namespace + topic),
      retry: this.#retry,
    });
    this.#listeners.add(listener);
    return listener;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#listeners].map((listener) => listener.stop()));
    await Promise.allSettled([...this.#consumers].map((consumer) => consumer.stop()));
    await Promise.allSettled([...this.#publishers].map((publisher) => publisher.disconnect()));
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  #connectedAdmin(): Promise<Admin> {
    this.#assertOpen();
    if (!this.#admin) {
      const admin = this.#kafka.admin({ retry: this.#retry });
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.#admin === connecting) this.#admin = undefined;
      });
      this.#admin = connecting;
    }
    return this.#admin;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('The messaging client is closed');
  }
}
