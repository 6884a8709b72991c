import { type Logger } from '@mercato/logger';
import { type KafkaMetrics } from '@mercato/metrics';
import { type IHeaders, type Producer } from 'kafkajs';
import { isRetriable } from './backoff.js';
import { type HeaderValue, type MessageHeaders } from './headers.js';

/** One record to publish. Records with the same key land on the same partition, in order. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers?: MessageHeaders;
}

/** Publishes records with acks from all in-sync replicas; swap the implementation, keep the contract. */
export interface EventPublisher {
  /** Connects (and, for the idempotent producer, obtains a producer id). */
  connect(): Promise<void>;
  /**
   * Publishes `records` in order; resolves only after every one was acknowledged by all in-sync
   * replicas (acks=all). Rejects when the broker stays unreachable past the client's retry budget.
   */
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  /** Disconnects; publishing afterwards fails. */
  disconnect(): Promise<void>;
}

/** The part of a kafkajs producer the publisher uses (a stand-in in unit tests). */
export type ProducerLike = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;

/**
 * An idempotent kafkajs producer (acks=all, one request in flight, so a retried batch can neither
 * duplicate nor overtake another). When a send fails for a reason retrying cannot fix — the
 * broker lost this producer's id or sequence after a restart — the producer is replaced by a new
 * one with a new id on the next publish.
 */
export class KafkaEventPublisher implements EventPublisher {
  readonly #createProducer: () => ProducerLike;
  readonly #metrics: KafkaMetrics;
  readonly #logger: Logger;
  #producer: Promise<ProducerLike> | undefined;
  #disconnected = false;

  constructor(createProducer: () => ProducerLike, metrics: KafkaMetrics, logger: Logger) {
    this.#createProducer = createProducer;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  async connect(): Promise<void> {
    this.#disconnected = false;
    await this.#connectedProducer();
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.#disconnected) throw new Error('The publisher is disconnected');
    if (records.length === 0) return;
    const connecting = this.#connectedProducer();
    const producer = await connecting;
    try {
      await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(records) });
    } catch (error) {
      if (!isRetriable(error) && this.#producer === connecting) {
        this.#logger.warn(
          { err: error },
          'Kafka send failed for a reason retrying cannot fix; replacing the producer',
        );
        this.#producer = undefined;
        await producer.disconnect().catch(() => undefined);
      }
      throw error;
    }
    for (const [topic, count] of countByTopic(records))
      this.#metrics.produced.inc({ topic }, count);
  }

  async disconnect(): Promise<void> {
    this.#disconnected = true;
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.disconnect();
  }

  #connectedProducer(): Promise<ProducerLike> {
    if (!this.#producer) {
      const producer = this.#createProducer();
      const connecting = producer.connect().then(() => producer);
      // A failed connect must not poison later attempts: the next call starts afresh. What the
      // failed producer did connect (a seed broker, say) is closed, not left open.
      connecting.catch(() => {
        if (this.#producer === connecting) this.#producer = undefined;
        void producer.disconnect().catch(() => undefined);
      });
      this.#producer = connecting;
    }
    return this.#producer;
  }
}

function topicMessagesOf(records: readonly OutgoingRecord[]) {
  const byTopic = new Map<string, { key: string; value: Buffer; headers?: IHeaders }[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic) ?? [];
    messages.push({
      key: record.key,
      value: record.value,
      ...(record.headers ? { headers: kafkaHeaders(record.headers) } : {}),
    });
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function kafkaHeaders(headers: MessageHeaders): IHeaders {
  const converted: IHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    converted[name] = isHeaderList(value) ? [...value] : value;
  }
  return converted;
}

function isHeaderList(value: HeaderValue): value is readonly (string | Buffer)[] {
  return Array.isArray(value);
}

function countByTopic(records: readonly OutgoingRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { topic } of records) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  return counts;
}
