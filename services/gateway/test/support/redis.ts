import { startRedisServer as startHarnessRedis, type RedisServer } from '@mercato/harness';
import { Redis } from 'ioredis';

/** A real `redis-server` on loopback (the harness's), with a client to look at the counters. */
export interface TestRedis extends RedisServer {
  client: Redis;
}

export async function startRedisServer(): Promise<TestRedis> {
  const server = await startHarnessRedis();
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return {
    url: server.url,
    get pid() {
      return server.pid;
    },
    client,
    stop: () => server.stop(),
    start: () => server.start(),
    pause: () => server.pause(),
    resume: () => server.resume(),
    async close() {
      client.disconnect();
      await server.close();
    },
  };
}
