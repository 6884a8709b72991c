import { describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { counter, gauge, histogram } from './instruments.js';

describe('counter, gauge, histogram', () => {
  it('returns the same counter for the same name and labels, so services can define it anywhere', async () => {
    const registry = new Registry();

    const first = counter(registry, 'mercato_orders_total', 'Orders by outcome.', ['outcome']);
    const second = counter(registry, 'mercato_orders_total', 'Orders by outcome.', ['outcome']);
    first.inc({ outcome: 'paid' });
    second.inc({ outcome: 'paid' });

    expect(second).toBe(first);
    expect(await registry.metrics()).toContain('mercato_orders_total{outcome="paid"} 2');
  });

  it('keeps separate instruments per registry', () => {
    const a = counter(new Registry(), 'mercato_orders_total', 'Orders.', ['outcome']);
    const b = counter(new Registry(), 'mercato_orders_total', 'Orders.', ['outcome']);

    expect(b).not.toBe(a);
  });

  it('refuses the same name with other labels or another type', () => {
    const registry = new Registry();
    counter(registry, 'mercato_payments_total', 'Payments.', ['outcome']);

    expect(() => counter(registry, 'mercato_payments_total', 'Payments.', ['provider'])).toThrow(
      /already defined/,
    );
    expect(() => gauge(registry, 'mercato_payments_total', 'Payments.', ['outcome'])).toThrow(
      /already defined/,
    );
  });

  it('refuses a name that other code registered directly with prom-client', () => {
    const registry = new Registry();
    new Counter({ name: 'mercato_refunds_total', help: 'Refunds.', registers: [registry] });

    expect(() => counter(registry, 'mercato_refunds_total', 'Refunds.')).toThrow(/by other code/);
  });

  it('creates the instrument again after the registry was cleared', async () => {
    const registry = new Registry();
    counter(registry, 'mercato_orders_total', 'Orders.').inc();
    registry.clear();

    counter(registry, 'mercato_orders_total', 'Orders.').inc(3);

    expect(await registry.metrics()).toContain('mercato_orders_total 3');
  });

  it('uses the given histogram buckets', async () => {
    const registry = new Registry();
    histogram(registry, 'mercato_provider_call_seconds', 'Provider calls.', [], [0.1, 1]).observe(
      0.5,
    );

    const text = await registry.metrics();

    expect(text).toContain('mercato_provider_call_seconds_bucket{le="0.1"} 0');
    expect(text).toContain('mercato_provider_call_seconds_bucket{le="1"} 1');
  });
});
