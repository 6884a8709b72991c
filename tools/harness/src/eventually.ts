import { setTimeout as sleep } from 'node:timers/promises';

/** How long `eventually` keeps trying, and how often. */
export interface EventuallyOptions {
  /** Give up after this long and rethrow the last error (default 30 s; 0: one attempt). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  readonly intervalMs?: number;
}

/**
 * Runs `check` until it resolves without throwing, and returns what it returned: for asserting a
 * state a system reaches by itself (a consumer catches up, a sweep runs) without fixed sleeps.
 * When time is up, the last error — usually a failed `expect` — is thrown, so the report shows
 * what was still wrong.
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      // At or past the deadline, not only past it: Date.now() has millisecond steps and the
      // timers' clock is another one, so `>` let a zero timeout try again within the same tick.
      if (Date.now() >= deadline) throw error;
      await sleep(options.intervalMs ?? 50);
    }
  }
}
