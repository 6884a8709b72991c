import { connect } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { findRedisServer, startRedisServer } from '../src/index.js';
import { isProcessAlive } from '../src/processes.js';

/** The reply of a Redis to one inline command, or undefined when nothing answers. */
function ask(url: string, command: string): Promise<string | undefined> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.setTimeout(2_000);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (chunk: Buffer) => (socket.destroy(), resolve(chunk.toString().trim())));
    socket.once('timeout', () => (socket.destroy(), resolve(undefined)));
    socket.once('error', () => resolve(undefined));
  });
}

describe('a throw-away redis-server', () => {
  it('is found on this machine', async () => {
    expect(await findRedisServer()).toMatch(/redis-server$/);
  });

  it('serves on loopback, saves nothing, and stops and starts again empty on the same port', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(await ask(redis.url, 'SET counter 7')).toBe('+OK');
      expect(await ask(redis.url, 'CONFIG GET save')).toContain('save');
      const pid = redis.pid!;
      await redis.stop();
      expect(await isProcessAlive(pid)).toBe(false);
      expect(await ask(redis.url, 'PING')).toBeUndefined();
      await redis.start();
      expect(await ask(redis.url, 'GET counter')).toBe('$-1');
    } finally {
      await redis.close();
    }
  });

  it('answers nobody while paused, and everyone again once resumed', async () => {
    const redis = await startRedisServer();
    try {
      redis.pause();
      expect(await ask(redis.url, 'PING')).toBeUndefined();
      redis.resume();
      expect(await ask(redis.url, 'PING')).toBe('+PONG');
    } finally {
      await redis.close();
    }
  });
});
