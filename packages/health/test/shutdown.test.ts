import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startFixture, stopFixture, type RunningFixture } from './support/child-process.js';

const gracefulServer = fileURLToPath(new URL('./fixtures/graceful-server.ts', import.meta.url));

describe('graceful shutdown of a real process', () => {
  let fixture: RunningFixture | undefined;

  afterEach(async () => {
    await stopFixture(fixture);
  });

  it('fails readiness during the drain, finishes the in-flight request, and exits 0', async () => {
    fixture = startFixture(gracefulServer, ['--drain-delay-ms', '500', '--slow-route-ms', '1500']);
    const listening = await fixture.waitForLog((line) => line.message === 'listening');
    const baseUrl = `http://127.0.0.1:${Number(listening.port)}`;

    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);

    const slowResponse = fetch(`${baseUrl}/slow`);
    await fixture.waitForLog((line) => line.message === 'slow request started');

    fixture.child.kill('SIGTERM');
    await fixture.waitForLog((line) => line.message.startsWith('Shutdown started'));

    const drainingReady = await fetch(`${baseUrl}/health/ready`);
    expect(drainingReady.status).toBe(503);
    expect(drainingReady.headers.get('cache-control')).toBe('no-store');
    expect(await drainingReady.json()).toEqual({ status: 'draining', checks: {} });
    const drainingLive = await fetch(`${baseUrl}/health/live`);
    expect(drainingLive.status).toBe(200);

    fixture.child.kill('SIGINT');
    await fixture.waitForLog(
      (line) => line.message === 'Shutdown already in progress; ignoring SIGINT',
    );

    const slow = await slowResponse;
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual({ done: true });

    await expect(fixture.exited).resolves.toEqual({ code: 0, signal: null });
    const messages = fixture.lines.map((line) => line.message);
    expect(messages.filter((message) => message.startsWith('Shutdown started'))).toHaveLength(1);
    expect(messages.filter((message) => message === 'Closed http-server')).toHaveLength(1);
    expect(messages.at(-1)).toBe('Shutdown complete');
  });

  it('exits 1 and names the closer when a closer never finishes', async () => {
    fixture = startFixture(gracefulServer, [
      '--drain-delay-ms',
      '200',
      '--timeout-ms',
      '1000',
      '--hanging-closer',
    ]);
    await fixture.waitForLog((line) => line.message === 'listening');

    fixture.child.kill('SIGTERM');

    await expect(fixture.exited).resolves.toEqual({ code: 1, signal: null });
    expect(fixture.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        step: 'stuck-consumer',
        message: 'Shutdown timed out after 1000 ms waiting for "stuck-consumer"',
      }),
    );
    expect(fixture.lines.map((line) => line.message)).toContain('Closed http-server');
  });
});
