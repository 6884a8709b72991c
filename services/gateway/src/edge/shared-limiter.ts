import { Redis } from 'ioredis';
import type { Logger } from '@mercato/logger';
import {
  type LimitDecision,
  type Limiter,
  partitionKey,
  policyName,
  windowDecision,
} from './limiter.js';

/**
 * One fixed window in Redis, atomically: count the request, start the window's clock on its first
 * request, and answer the count and the milliseconds left. `PTTL` below 0 means a key without a
 * clock (left by an interrupted script, or set by hand); it gets one, so no client is limited
 * forever.
 */
const TAKE_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {hits, tonumber(ARGV[1])}
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {hits, left}
`;

/** How often, at most, a limiter that keeps failing says so in the log. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

type WindowRedis = Redis & {
  takeWindow(key: string, windowMs: number): Promise<[number, number]>;
};

export interface RedisWindowLimiterOptions {
  /** `redis://host:port` (or `rediss://` for TLS). */
  url: string;
  limit: number;
  windowMs: number;
  /** How long a request waits for Redis before it is let through uncounted. */
  timeoutMs: number;
  logger: Logger;
  /** Called for every request let through uncounted because Redis did not answer. */
  onFailOpen(): void;
}

/**
 * The gateway's rate limiter with its counters in Redis, so every replica counts against one
 * budget per client: with N replicas behind a load balancer, a client gets `limit` requests per
 * window, not N × `limit`. Same fixed window and headers as {@link FixedWindowLimiter}.
 *
 * It fails open: when Redis is down, slow (over `timeoutMs`) or refuses, the request is allowed
 * uncounted, without RateLimit headers; `onFailOpen` counts it, and the log says so when it
 * starts, at most once a minute while it lasts, and when Redis answers again. A limiter outage
 * never takes the shop down. Nothing queues while Redis is away (no offline queue), so an outage
 * costs no memory and a recovered Redis is not flooded with stale counts.
 */
export class RedisWindowLimiter implements Limiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #policy: { name: string; limit: number; windowMs: number };
  readonly #redis: WindowRedis;
  readonly #logger: Logger;
  readonly #onFailOpen: () => void;
  /** Settles when the first connection is ready: until then a request waits for it (briefly). */
  readonly #firstReady: Promise<void>;
  readonly #timeoutMs: number;
  #everReady = false;
  #failingSince: number | undefined;
  #lastFailureLog = 0;
  #closed = false;

  constructor(options: RedisWindowLimiterOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#policy = {
      name: policyName(options.limit, options.windowMs),
      limit: options.limit,
      windowMs: options.windowMs,
    };
    this.#logger = options.logger;
    this.#onFailOpen = () => options.onFailOpen();
    this.#redis = new Redis(options.url, {
      // Fail at once while disconnected instead of queueing; give up on a slow answer.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(1_000, options.timeoutMs),
      // Keep reconnecting, backing off to one attempt every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      // The key prefix keeps the limiter's keys apart from anything else in the same Redis.
      keyPrefix: 'mercato:ratelimit:',
    }) as WindowRedis;
    this.#redis.defineCommand('takeWindow', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.#redis.on('error', (error: Error) => this.#failed(error));
    this.#timeoutMs = options.timeoutMs;
    this.#firstReady = new Promise((resolve) =>
      this.#redis.once('ready', () => {
        this.#everReady = true;
        resolve();
      }),
    );
  }

  async take(key: string): Promise<LimitDecision> {
    // A replica that has just started waits up to the timeout for its first connection, rather
    // than letting its first requests through uncounted; after that, an outage fails at once.
    if (!this.#everReady) await this.#waitForFirstConnection();
    try {
      const [hits, leftMs] = await this.#redis.takeWindow(
        `${this.#policy.name}:${key}`,
        this.windowMs,
      );
      this.#answered();
      return windowDecision(this.#policy, hits, leftMs, partitionKey(key));
    } catch (error) {
      this.#failed(error as Error);
      this.#onFailOpen();
      return {
        allowed: true,
        limit: this.limit,
        remaining: this.limit,
        resetSeconds: Math.ceil(this.windowMs / 1000),
        headers: [],
      };
    }
  }

  async #waitForFirstConnection(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#firstReady,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    this.#closed = true;
    this.#redis.disconnect();
  }

  #answered(): void {
    if (this.#failingSince === undefined) return;
    const seconds = Math.round((Date.now() - this.#failingSince) / 1000);
    this.#failingSince = undefined;
    this.#logger.info({ outageSeconds: seconds }, 'rate-limit Redis answers again');
  }

  #failed(error: Error): void {
    if (this.#closed) return;
    const now = Date.now();
    const first = this.#failingSince === undefined;
    if (first) this.#failingSince = now;
    if (!first && now - this.#lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.#lastFailureLog = now;
    this.#logger.warn(
      { err: { message: error.message }, failingSinceMs: now - this.#failingSince! },
      'rate-limit Redis unavailable: requests are let through uncounted (fail open)',
    );
  }
}
