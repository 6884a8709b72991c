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
export class FixedWindowLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #name: string;
  readonly #sweep: NodeJS.Timeout;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#name = `${limit}-in-${formatWindow(windowMs)}`;
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
    const remaining = Math.max(0, this.limit - window.hits);
    const resetSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
    return {
      allowed: window.hits <= this.limit,
      limit: this.limit,
      remaining,
      resetSeconds,
      headers: [
        ['RateLimit', `"${this.#name}"; r=${remaining}; t=${resetSeconds}`],
        [
          'RateLimit-Policy',
          `"${this.#name}"; q=${this.limit}; w=${Math.ceil(this.windowMs / 1000)}; pk=:${window.partition}:`,
        ],
      ],
    };
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

function partitionKey(key: string): string {
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
