import { type Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createHealthRouter, Health } from '../src/index.js';
import { listenHttp, stopHttp } from './support/servers.js';

describe('HTTP probes on a real Express server', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await stopHttp(server);
  });

  async function serve(health: Health, basePath?: string): Promise<string> {
    const app = express();
    app.use(createHealthRouter(health, basePath === undefined ? {} : { basePath }));
    const started = await listenHttp(app);
    server = started.server;
    return started.baseUrl;
  }

  it('answers liveness 200 and startup 503 until markStarted, as uncached JSON', async () => {
    const health = new Health();
    const baseUrl = await serve(health);

    const live = await fetch(`${baseUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^application\/json/);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(await live.json()).toEqual({ status: 'ok' });

    const starting = await fetch(`${baseUrl}/health/startup`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({ status: 'starting' });
    const notYetReady = await fetch(`${baseUrl}/health/ready`);
    expect(notYetReady.status).toBe(503);
    expect(await notYetReady.json()).toEqual({ status: 'starting', checks: {} });

    health.markStarted();
    const started = await fetch(`${baseUrl}/health/startup`);
    expect(started.status).toBe(200);
    expect(await started.json()).toEqual({ status: 'started' });
  });

  it('answers readiness 200 with each check when all pass', async () => {
    const health = new Health().registerCheck('database', async () => undefined, {
      timeoutMs: 500,
    });
    health.markStarted();
    const baseUrl = await serve(health);

    const response = await fetch(`${baseUrl}/health/ready`);

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'pass', critical: true, durationMs: expect.any(Number) } },
    });
  });

  it('answers readiness 503 naming the failing and the hanging check', async () => {
    const health = new Health()
      .registerCheck('database', async () => undefined, { timeoutMs: 500 })
      .registerCheck(
        'kafka',
        async () => Promise.reject(new Error('There is no leader for this topic-partition')),
        {
          timeoutMs: 500,
        },
      )
      .registerCheck('product-grpc', () => new Promise(() => undefined), { timeoutMs: 100 });
    health.markStarted();
    const baseUrl = await serve(health);

    const response = await fetch(`${baseUrl}/health/ready`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      checks: {
        database: { status: 'pass', critical: true, durationMs: expect.any(Number) },
        kafka: {
          status: 'fail',
          critical: true,
          durationMs: expect.any(Number),
          error: 'There is no leader for this topic-partition',
        },
        'product-grpc': {
          status: 'fail',
          critical: true,
          durationMs: expect.any(Number),
          error: 'timed out after 100 ms',
        },
      },
    });
  });

  it('answers readiness 503 at once while draining, and keeps liveness green', async () => {
    let checkRuns = 0;
    const health = new Health().registerCheck('database', () => void checkRuns++, {
      timeoutMs: 500,
    });
    health.markStarted();
    health.markDraining();
    const baseUrl = await serve(health, '/internal/health');

    const ready = await fetch(`${baseUrl}/internal/health/ready`);
    const live = await fetch(`${baseUrl}/internal/health/live`);

    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining', checks: {} });
    expect(checkRuns).toBe(0);
    expect(live.status).toBe(200);
  });
});
