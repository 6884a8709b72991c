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
  /** `kafka_producer_messages_produced_total{topic}`: messages acknowledged by the broker. */
  produced: Counter<'topic'>;
  /** `kafka_consumer_lag_messages{topic, partition, group}`: high watermark minus committed offset. */
  consumerLag: Gauge<'topic' | 'partition' | 'group'>;
  /** Starts timing one consumed message; call the returned function once with the outcome. */
  startProcessing(topic: string): (outcome: KafkaProcessingOutcome) => void;
  /** Records the lag of one partition of a consumer group. */
  setLag(position: ConsumerLagPosition, lag: number): void;
}

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
