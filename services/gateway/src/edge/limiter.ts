import { createHash } from 'node:crypto';

/** What a limiter says about one request. */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the client's window ends (at least 1). */
  resetSeconds: number;
  /** The RateLimit and RateLimit-Policy headers (IETF draft 8) of the answer. */
  headers: readonly (readonly [string, string])[];
}

/**
 * A rate limiter of `limit` requests per client key per `windowMs`. One in memory
 * ({@link FixedWindowLimiter}) answers at once; one that shares its counters between replicas
 * (`RedisWindowLimiter`) answers with a promise.
 */
export interface Limiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Counts a request of `key` and says whether it is allowed. */
  take(key: string): LimitDecision | Promise<LimitDecision>;
  /**
   * Whether a request of `key` would be allowed now, without counting it — only limiters that
   * know at once have it (the catalog fast lane asks before it commits to answering).
   */
  wouldAllow?(key: string): boolean;
  close(): void | Promise<void>;
}

/** The draft-8 policy name of a limit, e.g. `600-in-1min`. */
export const policyName = (limit: number, windowMs: number): string =>
  `${limit}-in-${formatWindow(windowMs)}`;

/**
 * The decision on the `hits`-th request of a client's window, which ends in `resetMs`; `partition`
 * is the client's partition key ({@link partitionKey}).
 */
export function windowDecision(
  policy: { name: string; limit: number; windowMs: number },
  hits: number,
  resetMs: number,
  partition: string,
): LimitDecision {
  const remaining = Math.max(0, policy.limit - hits);
  const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
  return {
    allowed: hits <= policy.limit,
    limit: policy.limit,
    remaining,
    resetSeconds,
    headers: [
      ['RateLimit', `"${policy.name}"; r=${remaining}; t=${resetSeconds}`],
      [
        'RateLimit-Policy',
        `"${policy.name}"; q=${policy.limit}; w=${Math.ceil(policy.windowMs / 1000)}; pk=:${partition}:`,
      ],
    ],
  };
}

interface Window {
  hits: number;
  resetAt: number;
  /** The partition key the policy header names: a short hash, so the header never shows the key. */
  partition: string;
}

/**
 * A fixed-window rate limiter, in memory, per gateway replica: `limit` requests per key per
 * `windowMs`. Synchronous, so a request costs one Map lookup; the draft-8 partition key (a hash
 * of the client key) is computed once per client per window, not per request.
 */
export class FixedWindowLimiter implements Limiter {
  readonly #windows = new Map<string, Window>();
  readonly #policy: { name: string; limit: number; windowMs: number };
  readonly #sweep: NodeJS.Timeout;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#policy = { name: policyName(limit, windowMs), limit, windowMs };
    // Forget finished windows, so idle clients do not accumulate.
    this.#sweep = setInterval(() => this.#forgetExpired(), Math.min(windowMs, 60_000));
    this.#sweep.unref();
  }

  /** Whether a request of `key` would be allowed now (nothing is counted). */
  wouldAllow(key: string): boolean {
    const window = this.#windows.get(key);
    return !window || window.resetAt <= this.now() || window.hits < this.limit;
  }

  /** Counts a request of `key` and says whether it is allowed. */
  take(key: string): LimitDecision {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      window = {
        hits: 0,
        resetAt: now + this.windowMs,
        partition: window?.partition ?? partitionKey(key),
      };
      this.#windows.set(key, window);
    }
    window.hits += 1;
    return windowDecision(this.#policy, window.hits, window.resetAt - now, window.partition);
  }

  /** Stops the sweep timer. */
  close(): void {
    clearInterval(this.#sweep);
  }

  #forgetExpired(): void {
    const now = this.now();
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}

/** The partition key the policy header names: a short hash, so the header never shows the key. */
export function partitionKey(key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return Buffer.from(digest).toString('base64');
}

function formatWindow(windowMs: number): string {
  const seconds = windowMs / 1000;
  if (seconds < 60) return `${seconds}sec`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${minutes}min`;
  const hours = minutes / 60;
  if (hours < 24) return `${hours}hr${hours > 1 ? 's' : ''}`;
  const days = hours / 24;
  return `${days}day${days > 1 ? 's' : ''}`;
}
