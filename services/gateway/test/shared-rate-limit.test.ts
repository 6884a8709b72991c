import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTogether } from '@mercato/harness';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import request from 'supertest';
import { createServer, type Gateway } from '../src/server.js';
import { sample } from './support/metrics.js';
import { startRedisServer, type TestRedis } from './support/redis.js';
import { eventually, gatewayConfig, startShop, type Shop } from './support/shop.js';

const LIMIT = 5;
const PROBLEM = /^application\/problem\+json/;

/**
 * Two gateway replicas in front of one real shop, with their rate limits in one real Redis: what a
 * client sees when its requests are spread across the replicas, and when Redis goes away.
 */
describe('rate limits shared by two gateway replicas through Redis', () => {
  let shop: Shop;
  let redis: TestRedis;
  const opened: Gateway[] = [];

  /** A replica: catalog cache on (so the fast lane takes part), limits in `redisUrl` if given. */
  const replica = async (redisUrl: string | undefined, logs = new MemoryDestination()) => {
    const gateway = createServer({
      config: gatewayConfig(shop.env.ports, {
        KAFKA_BROKERS: shop.env.brokers,
        KAFKA_NAMESPACE: shop.env.namespace,
        RATE_LIMIT_MAX: String(LIMIT),
        RATE_LIMIT_WINDOW: '1m',
        ...(redisUrl ? { RATE_LIMIT_REDIS_URL: redisUrl } : {}),
      }),
      logger: createLogger({ service: 'gateway', level: 'info', destination: logs }),
    });
    opened.push(gateway);
    gateway.start();
    await eventually('the catalog feed to be live', async () =>
      gateway.catalogCache?.live ? true : undefined,
    );
    return gateway;
  };
  const metric = async (gateway: Gateway, series: string) =>
    sample((await request(gateway.app).get('/metrics').expect(200)).text, series);
  /** `count` catalog reads, alternating between the replicas, through the deployed handler. */
  const spread = async (replicas: Gateway[], count: number, url = '/api/v1/categories') => {
    const answers: request.Response[] = [];
    for (let index = 0; index < count; index++)
      answers.push(await request(replicas[index % replicas.length]!.handler).get(url));
    return answers;
  };

  beforeAll(async () => {
    // Both start at once; if one fails, the other is stopped before the failure is reported.
    [shop, redis] = await startTogether([
      { start: startShop(), stop: (started) => started.stop() },
      { start: startRedisServer(), stop: (started) => started.close() },
    ]);
  });

  beforeEach(async () => {
    await redis.client.flushall();
  });

  afterAll(async () => {
    for (const gateway of opened) await gateway.close();
    await redis?.close();
    await shop?.stop();
  });

  it('refuses the client after the limit, not after twice it, across both replicas', async () => {
    const replicas = [await replica(redis.url), await replica(redis.url)];
    const answers = await spread(replicas, 2 * LIMIT);

    expect(answers.map((answer) => answer.status)).toEqual([
      ...Array<number>(LIMIT).fill(200),
      ...Array<number>(LIMIT).fill(429),
    ]);
    // One budget: the remaining count falls by one per request, whichever replica answered.
    expect(answers.map((answer) => /r=(\d+);/.exec(answer.headers.ratelimit ?? '')?.[1])).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
    ]);
    expect(answers[LIMIT]!.headers['content-type']).toMatch(PROBLEM);
    expect(Number(answers[LIMIT]!.headers['retry-after'])).toBeGreaterThan(0);
    // Both replicas answered from their caches without Express for some of them (the fast lane
    // counts against the same budget), and every request was counted exactly once in Redis.
    for (const gateway of replicas)
      expect(
        await metric(
          gateway,
          'gateway_catalog_fast_lane_responses_total{operation="listCategories"}',
        ),
      ).toBeGreaterThan(0);
    const keys = await redis.client.keys('mercato:ratelimit:*');
    expect(keys).toHaveLength(1);
    expect(Number(await redis.client.get(keys[0]!))).toBe(2 * LIMIT);
    expect(await redis.client.pttl(keys[0]!)).toBeGreaterThan(0);
  });

  it('without Redis, each replica counts alone: the same spread is never refused', async () => {
    const replicas = [await replica(undefined), await replica(undefined)];
    const answers = await spread(replicas, 2 * LIMIT);
    expect(answers.map((answer) => answer.status)).toEqual(Array<number>(2 * LIMIT).fill(200));
  });

  it('keeps serving while Redis is stopped, counting and logging the fail-open, and limits again once it is back', async () => {
    const logs = new MemoryDestination();
    const gateway = await replica(redis.url, logs);
    await request(gateway.handler).get('/api/v1/categories').expect(200);
    const failOpen = () => metric(gateway, 'gateway_rate_limit_fail_open_total');
    expect(await failOpen()).toBe(0);

    await redis.stop();
    const during = await spread([gateway], 2 * LIMIT);
    expect(during.map((answer) => answer.status)).toEqual(Array<number>(2 * LIMIT).fill(200));
    // Uncounted requests carry no budget headers: the gateway does not know the budget.
    expect(during.every((answer) => answer.headers.ratelimit === undefined)).toBe(true);
    expect(await failOpen()).toBe(2 * LIMIT);
    const warnings = logs
      .records()
      .filter((record) => String(record.msg).startsWith('rate-limit Redis unavailable'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    // Logged when the outage starts, then at most once a minute — not once per request.
    expect(warnings.length).toBeLessThan(2 * LIMIT);

    await redis.start();
    await eventually('the limiter to count in Redis again', async () => {
      const answer = await request(gateway.handler).get('/api/v1/categories');
      return answer.headers.ratelimit === undefined ? undefined : true;
    });
    const after = await spread([gateway], LIMIT);
    expect(after.at(-1)!.status).toBe(429);
    expect(logs.records().some((record) => record.msg === 'rate-limit Redis answers again')).toBe(
      true,
    );
  });

  it('lets a request through once Redis has not answered within the timeout', async () => {
    const gateway = await replica(redis.url);
    await request(gateway.handler).get('/api/v1/categories').expect(200);
    redis.pause();
    try {
      const answer = await request(gateway.handler).get('/api/v1/categories');
      expect(answer.status).toBe(200);
      expect(answer.headers.ratelimit).toBeUndefined();
      expect(await metric(gateway, 'gateway_rate_limit_fail_open_total')).toBe(1);
    } finally {
      redis.resume();
    }
  });

  it('starts a new window when the old one ends', async () => {
    const gateway = createServer({
      config: gatewayConfig(shop.env.ports, {
        RATE_LIMIT_MAX: '2',
        RATE_LIMIT_WINDOW: '1s',
        RATE_LIMIT_REDIS_URL: redis.url,
      }),
    });
    opened.push(gateway);
    const statuses = async () => {
      const result: number[] = [];
      for (let index = 0; index < 3; index++)
        result.push((await request(gateway.app).get('/api/v1/categories')).status);
      return result;
    };
    expect(await statuses()).toEqual([200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await statuses()).toEqual([200, 200, 429]);
  });
});
