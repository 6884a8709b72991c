import { describe, expect, it } from '@jest/globals';
import { Health, type HealthSnapshot } from './health.js';

function startedHealth(): Health {
  const health = new Health();
  health.markStarted();
  return health;
}

describe('Health', () => {
  it('moves from starting to ready to draining', () => {
    const health = new Health();
    expect(health.state).toBe('starting');
    health.markStarted();
    expect(health.state).toBe('ready');
    health.markDraining();
    expect(health.state).toBe('draining');
    health.markStarted();
    expect(health.state).toBe('draining');
  });

  it('reports starting and runs no check before markStarted', async () => {
    const health = new Health();
    let runs = 0;
    health.registerCheck('database', () => void runs++, { timeoutMs: 100 });

    await expect(health.checkReadiness()).resolves.toEqual({ status: 'starting', checks: {} });
    expect(runs).toBe(0);
  });

  it('is ready when every check passes', async () => {
    const health = startedHealth()
      .registerCheck('database', async () => undefined, { timeoutMs: 100 })
      .registerCheck('kafka', () => 'connected', { timeoutMs: 100 });

    const report = await health.checkReadiness();

    expect(report.status).toBe('ready');
    expect(report.checks.database).toMatchObject({ status: 'pass', critical: true });
    expect(report.checks.kafka).toMatchObject({ status: 'pass', critical: true });
    expect(report.checks.kafka?.error).toBeUndefined();
    expect(health.isReady).toBe(true);
  });

  it('is not ready when a critical check rejects or throws, and reports the error', async () => {
    const health = startedHealth()
      .registerCheck('database', async () => Promise.reject(new Error('connection refused')), {
        timeoutMs: 100,
      })
      .registerCheck(
        'kafka',
        () => {
          throw new Error('no brokers');
        },
        { timeoutMs: 100 },
      );

    const report = await health.checkReadiness();

    expect(report.status).toBe('not_ready');
    expect(report.checks.database).toMatchObject({ status: 'fail', error: 'connection refused' });
    expect(report.checks.kafka).toMatchObject({ status: 'fail', error: 'no brokers' });
  });

  it('fails a hanging check at its timeout and aborts its signal', async () => {
    let abortReason: unknown;
    const health = startedHealth().registerCheck(
      'product-grpc',
      (signal) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            abortReason = signal.reason;
            reject(new Error('aborted'));
          });
        }),
      { timeoutMs: 20 },
    );

    const report = await health.checkReadiness();

    expect(report.status).toBe('not_ready');
    expect(report.checks['product-grpc']).toMatchObject({
      status: 'fail',
      error: 'timed out after 20 ms',
    });
    expect(report.checks['product-grpc']?.durationMs).toBeGreaterThanOrEqual(19);
    expect(abortReason).toBeInstanceOf(Error);
  });

  it('stays ready when only a non-critical check fails', async () => {
    const health = startedHealth()
      .registerCheck('database', () => undefined, { timeoutMs: 100 })
      .registerCheck('recommendations', () => Promise.reject(new Error('down')), {
        timeoutMs: 100,
        critical: false,
      });

    const report = await health.checkReadiness();

    expect(report.status).toBe('ready');
    expect(report.checks.recommendations).toEqual(
      expect.objectContaining({ status: 'fail', critical: false, error: 'down' }),
    );
  });

  it('shares one evaluation between concurrent callers', async () => {
    let runs = 0;
    const health = startedHealth().registerCheck(
      'database',
      async () => {
        runs++;
        await new Promise((resolve) => setImmediate(resolve));
      },
      { timeoutMs: 100 },
    );

    const reports = await Promise.all([
      health.checkReadiness(),
      health.checkReadiness(),
      health.checkReadiness(),
    ]);

    expect(runs).toBe(1);
    expect(reports.map((report) => report.status)).toEqual(['ready', 'ready', 'ready']);
    await health.checkReadiness();
    expect(runs).toBe(2);
  });

  it('answers draining at once, without running checks', async () => {
    let runs = 0;
    const health = startedHealth().registerCheck('database', () => void runs++, { timeoutMs: 100 });
    health.markDraining();

    await expect(health.checkReadiness()).resolves.toEqual({ status: 'draining', checks: {} });
    expect(runs).toBe(0);
  });

  it('lets draining win over an evaluation that was under way', async () => {
    let release: () => void = () => undefined;
    const health = startedHealth().registerCheck(
      'database',
      () => new Promise<void>((resolve) => (release = resolve)),
      { timeoutMs: 1000 },
    );

    const evaluation = health.checkReadiness();
    await new Promise((resolve) => setImmediate(resolve));
    health.markDraining();
    release();

    await expect(evaluation).resolves.toMatchObject({ status: 'draining' });
    expect(health.isReady).toBe(false);
  });

  it('notifies listeners of lifecycle changes and readiness flips only', async () => {
    let healthy = true;
    const health = new Health().registerCheck(
      'database',
      () => {
        if (!healthy) throw new Error('down');
      },
      { timeoutMs: 100 },
    );
    const seen: HealthSnapshot[] = [];
    const unsubscribe = health.onChange((snapshot) => seen.push(snapshot));

    health.markStarted();
    await health.checkReadiness();
    await health.checkReadiness();
    healthy = false;
    await health.checkReadiness();
    health.markDraining();
    health.markDraining();
    unsubscribe();
    health.markStarted();

    expect(seen).toEqual([
      { state: 'ready', ready: false },
      { state: 'ready', ready: true },
      { state: 'ready', ready: false },
      { state: 'draining', ready: false },
    ]);
  });

  it('rejects duplicate names and non-positive timeouts', () => {
    const health = new Health().registerCheck('database', () => undefined, { timeoutMs: 100 });

    expect(() => health.registerCheck('database', () => undefined, { timeoutMs: 100 })).toThrow(
      /already registered/,
    );
    expect(() => health.registerCheck('kafka', () => undefined, { timeoutMs: 0 })).toThrow(
      RangeError,
    );
  });

  it('keeps long error messages short', async () => {
    const health = startedHealth().registerCheck(
      'database',
      () => Promise.reject(new Error('x'.repeat(1000))),
      {
        timeoutMs: 100,
      },
    );

    const report = await health.checkReadiness();

    expect(report.checks.database?.error?.length).toBeLessThanOrEqual(201);
  });
});
