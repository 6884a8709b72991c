import { performance } from 'node:perf_hooks';
import { type Counter, type Gauge, type Histogram, type Registry } from 'prom-client';
import { counter, gauge, histogram } from './instruments.js';

/**
 * How handling one consumed message ended: `processed`; `duplicate` (already processed, skipped by
 * the idempotent consumer); `failed` (will be redelivered); `dead_lettered` (given up, sent to the DLQ).
 */
export type KafkaProcessingOutcome = 'processed' | 'duplicate' | 'failed' | 'dead_lettered';

/** Identifies one partition a consumer group reads. */
export interface ConsumerLagPosition {
  topic: string;
  partition: number;
  group: string;
}

/** Kafka RED metrics, independent of the Kafka client library. */
export interface KafkaMetrics {
  /** `kafka_consumer_messages_consumed_total{topic}`: messages handed to a handler. */
  consumed: Counter<'topic'>;
  /** `kafka_consumer_messages_failed_total{topic}`: handling attempts that failed and will be retried. */
  failed: Counter<'topic'>;
  /** `kafka_consumer_messages_dead_lettered_total{topic}`: messages given up on and sent to the DLQ. */
  deadLettered: Counter<'topic'>;
  /** `kafka_consumer_processing_seconds{topic, outcome}`: time spent handling one message. */
  processingSeconds: Histogram<'topic' | 'outcome'>;
  /**
   * `kafka_consumer_delivery_seconds{topic, event_type}`: from the record's timestamp (when the
   * producer sent it) to the start of its handling, i.e. the broker's part plus any wait in the
   * consumer. Only for records with a timestamp (every record written by Kafka ≥ 0.10).
   */
  deliverySeconds: Histogram<'topic' | 'event_type'>;
  /** `kafka_producer_messages_produced_total{topic}`: messages acknowledged by the broker. */
  produced: Counter<'topic'>;
  /** `kafka_consumer_lag_messages{topic, partition, group}`: high watermark minus committed offset. */
  consumerLag: Gauge<'topic' | 'partition' | 'group'>;
  /** Starts timing one consumed message; call the returned function once with the outcome. */
  startProcessing(topic: string): (outcome: KafkaProcessingOutcome) => void;
  /** Records the lag of one partition of a consumer group. */
  setLag(position: ConsumerLagPosition, lag: number): void;
}

/**
 * Buckets for one stage of an asynchronous flow (a relay, a delivery): from a millisecond, where a
 * quiet system is, to half a minute, where a broker outage puts it.
 */
export const STAGE_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

/** Creates (or returns the existing) Kafka instruments of this registry. */
export function kafkaMetrics(registry: Registry): KafkaMetrics {
  const consumed = counter(
    registry,
    'kafka_consumer_messages_consumed_total',
    'Kafka messages handed to a handler.',
    ['topic'],
  );
  const failed = counter(
    registry,
    'kafka_consumer_messages_failed_total',
    'Kafka message handling attempts that failed and will be retried.',
    ['topic'],
  );
  const deadLettered = counter(
    registry,
    'kafka_consumer_messages_dead_lettered_total',
    'Kafka messages given up on and sent to the dead-letter topic.',
    ['topic'],
  );
  const processingSeconds = histogram(
    registry,
    'kafka_consumer_processing_seconds',
    'Time spent handling one Kafka message, by outcome.',
    ['topic', 'outcome'],
  );
  const deliverySeconds = histogram(
    registry,
    'kafka_consumer_delivery_seconds',
    'From a Kafka record being sent to its handling starting, by topic and event type.',
    ['topic', 'event_type'],
    STAGE_BUCKETS_SECONDS,
  );
  const produced = counter(
    registry,
    'kafka_producer_messages_produced_total',
    'Kafka messages acknowledged by the broker.',
    ['topic'],
  );
  const consumerLag = gauge(
    registry,
    'kafka_consumer_lag_messages',
    'Messages a consumer group has yet to consume on a partition.',
    ['topic', 'partition', 'group'],
  );

  return {
    consumed,
    failed,
    deadLettered,
    processingSeconds,
    deliverySeconds,
    produced,
    consumerLag,
    startProcessing(topic) {
      const startedAt = performance.now();
      consumed.inc({ topic });
      let finished = false;
      return (outcome) => {
        if (finished) return;
        finished = true;
        processingSeconds.observe({ topic, outcome }, (performance.now() - startedAt) / 1000);
        if (outcome === 'failed') failed.inc({ topic });
        if (outcome === 'dead_lettered') deadLettered.inc({ topic });
      };
    },
    setLag({ topic, partition, group }, lag) {
      consumerLag.set({ topic, partition: String(partition), group }, lag);
    },
  };
}
