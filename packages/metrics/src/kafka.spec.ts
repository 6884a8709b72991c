import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { kafkaMetrics } from './kafka.js';

describe('kafkaMetrics', () => {
  it('counts consumed messages and their outcomes, and times them by outcome', async () => {
    const registry = new Registry();
    const kafka = kafkaMetrics(registry);

    kafka.startProcessing('orders')('processed');
    kafka.startProcessing('orders')('duplicate');
    kafka.startProcessing('orders')('failed');
    const deadLetter = kafka.startProcessing('orders');
    deadLetter('dead_lettered');
    deadLetter('processed');
    kafka.produced.inc({ topic: 'payments' });

    const text = await registry.metrics();
    expect(text).toContain('kafka_consumer_messages_consumed_total{topic="orders"} 4');
    expect(text).toContain('kafka_consumer_messages_failed_total{topic="orders"} 1');
    expect(text).toContain('kafka_consumer_messages_dead_lettered_total{topic="orders"} 1');
    expect(text).toContain(
      'kafka_consumer_processing_seconds_count{topic="orders",outcome="processed"} 1',
    );
    expect(text).toContain(
      'kafka_consumer_processing_seconds_count{topic="orders",outcome="duplicate"} 1',
    );
    expect(text).toContain(
      'kafka_consumer_processing_seconds_count{topic="orders",outcome="dead_lettered"} 1',
    );
    expect(text).toContain('kafka_producer_messages_produced_total{topic="payments"} 1');
  });

  it('sets the lag of each partition of a consumer group', async () => {
    const registry = new Registry();
    const kafka = kafkaMetrics(registry);

    kafka.setLag({ topic: 'orders', partition: 0, group: 'payment' }, 12);
    kafka.setLag({ topic: 'orders', partition: 1, group: 'payment' }, 0);
    kafka.setLag({ topic: 'orders', partition: 0, group: 'payment' }, 3);

    const text = await registry.metrics();
    expect(text).toContain(
      'kafka_consumer_lag_messages{topic="orders",partition="0",group="payment"} 3',
    );
    expect(text).toContain(
      'kafka_consumer_lag_messages{topic="orders",partition="1",group="payment"} 0',
    );
  });

  it('returns the same instruments when called twice on one registry', () => {
    const registry = new Registry();

    expect(kafkaMetrics(registry).consumed).toBe(kafkaMetrics(registry).consumed);
  });
});
