/** Exponential backoff bounds in milliseconds: `initial` after the first failure, doubling up to `max`. */
export interface Backoff {
  readonly initial: number;
  readonly max: number;
}

/** The wait after the `failures`-th consecutive failure (1-based): initial, 2×initial, 4×initial … ≤ max. */
export function backoffDelay(backoff: Backoff, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  // 2 ** 31 already dwarfs any sensible `max`; capping the exponent keeps the product finite.
  return Math.min(backoff.max, backoff.initial * 2 ** Math.min(exponent, 31));
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects; callers check `signal.aborted`). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

/** Checks a backoff option given by a caller. */
export function validBackoff(backoff: Backoff, name: string): Backoff {
  if (!(backoff.initial > 0) || !(backoff.max >= backoff.initial)) {
    throw new RangeError(`${name} needs 0 < initial <= max, got ${JSON.stringify(backoff)}`);
  }
  return backoff;
}

/**
 * Whether a Kafka client error says that trying again may succeed: kafkajs marks those `retriable`,
 * and after exhausted retries of its own the original error is the deepest `cause`.
 */
export function isRetriable(error: unknown): boolean {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  return (cause as { retriable?: unknown } | undefined)?.retriable === true;
}

/**
 * Runs `attempt` until it succeeds, waiting with `backoff` after each failure that `isRetriable`
 * accepts, at most `attempts` times in all; any other failure, or the last one, is thrown.
 * `onRetry` hears of each failure that will be retried (for logging).
 */
export async function retryRetriable<T>(
  attempt: () => Promise<T>,
  options: {
    attempts: number;
    backoff: Backoff;
    /** Once aborted, no further attempt starts: the last failure is thrown. */
    signal?: AbortSignal;
    onRetry?: (error: unknown, failures: number, retryInMs: number) => void;
  },
): Promise<T> {
  for (let failures = 0; ;) {
    try {
      return await attempt();
    } catch (error) {
      failures += 1;
      if (!isRetriable(error) || failures >= options.attempts || options.signal?.aborted)
        throw error;
      const retryInMs = backoffDelay(options.backoff, failures);
      options.onRetry?.(error, failures, retryInMs);
      await delay(retryInMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
