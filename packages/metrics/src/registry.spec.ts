import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createMetrics } from './registry.js';

describe('createMetrics', () => {
  it('labels every series with the service and collects the process metrics', async () => {
    const registry = createMetrics({ service: 'order' });

    const text = await registry.metrics();

    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="order"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="order"\} /m);
  });

  it('leaves out the gauges prom-client names *_total, keeping their per-type breakdown', async () => {
    const text = await createMetrics({ service: 'order' }).metrics();

    expect(text).not.toContain('nodejs_active_handles_total');
    expect(text).not.toContain('nodejs_active_requests_total');
    expect(text).not.toContain('nodejs_active_resources_total');
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
  });

  it('collects no process metrics when asked not to', async () => {
    const text = await createMetrics({ service: 'order', defaultMetrics: false }).metrics();

    expect(text.trim()).toBe('');
  });

  it('configures a given registry, once even when called twice', () => {
    const registry = new Registry();

    expect(createMetrics({ service: 'payment', registry })).toBe(registry);
    expect(() => createMetrics({ service: 'payment', registry })).not.toThrow();
  });
});
