import { describe, expect, it } from '@jest/globals';
import { Health } from './health.js';
import { type HealthLogger } from './logger.js';
import { createShutdownCoordinator } from './shutdown.js';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: object;
  message: string;
}

function recordingLogger(): { logger: HealthLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger: HealthLogger = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  return { logger, lines };
}

function setup(options: { drainDelayMs?: number; timeoutMs?: number } = {}) {
  const health = new Health();
  health.markStarted();
  const exitCodes: number[] = [];
  const { logger, lines } = recordingLogger();
  const coordinator = createShutdownCoordinator({
    health,
    drainDelayMs: options.drainDelayMs ?? 0,
    timeoutMs: options.timeoutMs ?? 1000,
    logger,
    exit: (code) => exitCodes.push(code),
  });
  return { health, coordinator, exitCodes, lines };
}

describe('ShutdownCoordinator', () => {
  it('drains first, then runs closers in reverse registration order, then exits 0', async () => {
    const { health, coordinator, exitCodes } = setup({ drainDelayMs: 20 });
    const events: string[] = [];
    coordinator
      .register('database', () => void events.push(`database closed while ${health.state}`))
      .register('kafka', async () => void events.push('kafka closed'))
      .register('http-server', () => void events.push('http-server closed'));

    const done = coordinator.shutdown('SIGTERM');
    expect(health.state).toBe('draining');
    expect(events).toEqual([]);

    await expect(done).resolves.toBe(0);
    expect(events).toEqual([
      'http-server closed',
      'kafka closed',
      'database closed while draining',
    ]);
    expect(exitCodes).toEqual([0]);
  });

  it('does not restart on a second request while shutting down', async () => {
    const { coordinator, exitCodes, lines } = setup({ drainDelayMs: 10 });
    let closes = 0;
    coordinator.register('http-server', () => void closes++);

    const first = coordinator.shutdown('SIGTERM');
    const second = coordinator.shutdown('SIGINT');

    expect(second).toBe(first);
    await first;
    expect(closes).toBe(1);
    expect(exitCodes).toEqual([0]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: { reason: 'SIGINT' } }),
    );
  });

  it('keeps closing after a closer fails and exits 1', async () => {
    const { coordinator, exitCodes, lines } = setup();
    const closed: string[] = [];
    coordinator
      .register('database', () => void closed.push('database'))
      .register('kafka', () => Promise.reject(new Error('broker gone')));

    await expect(coordinator.shutdown('SIGTERM')).resolves.toBe(1);
    expect(closed).toEqual(['database']);
    expect(exitCodes).toEqual([1]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'Closing kafka failed: broker gone' }),
    );
  });

  it('exits 1 at the timeout and names the closer that hung', async () => {
    const { coordinator, exitCodes, lines } = setup({ drainDelayMs: 0, timeoutMs: 50 });
    const closed: string[] = [];
    coordinator
      .register('database', () => void closed.push('database'))
      .register('kafka-consumer', () => new Promise(() => undefined));

    await expect(coordinator.shutdown('SIGTERM')).resolves.toBe(1);
    expect(exitCodes).toEqual([1]);
    expect(closed).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: { step: 'kafka-consumer', timeoutMs: 50 },
        message: 'Shutdown timed out after 50 ms waiting for "kafka-consumer"',
      }),
    );
  });

  it('rejects a timeout that leaves no time after the drain delay, and duplicate closer names', () => {
    const health = new Health();
    expect(() => createShutdownCoordinator({ health, drainDelayMs: 500, timeoutMs: 500 })).toThrow(
      RangeError,
    );

    const coordinator = createShutdownCoordinator({ health, drainDelayMs: 0, timeoutMs: 10 });
    coordinator.register('database', () => undefined);
    expect(() => coordinator.register('database', () => undefined)).toThrow(/already registered/);
  });
});
