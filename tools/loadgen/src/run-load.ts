import { ApiClient } from './http.js';
import { runJourney, Shopper, type SettledOrder } from './journeys.js';
import {
  DEFAULT_MIX,
  validateWeights,
  weightedPicker,
  type JourneyMix,
  type PaymentTokenMix,
} from './options.js';
import { LoadStats, type LoadProgress, type LoadSummary, type StopReason } from './stats.js';

/** What runLoad does; only `baseUrl` and `ratePerSecond` are required. */
export interface LoadOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Journeys started per second, on a fixed schedule that does not wait for earlier journeys. */
  ratePerSecond: number;
  /** Stop starting journeys after this long; without it and `journeys`, run until `signal`. */
  durationMs?: number;
  /** Stop after starting this many journeys. */
  journeys?: number;
  /** Relative weights of the journey kinds (default browse 5, view 3, order 2, poll 1). */
  mix?: JourneyMix;
  /** Relative weights of the payment tokens orders use (default: all tok_success). */
  paymentTokens?: PaymentTokenMix;
  /** Journeys in flight at most; a journey due while the cap is reached is dropped and counted (default 256). */
  maxConcurrentJourneys?: number;
  /**
   * Simulated shoppers (guest sessions) the journeys are spread over, round-robin (default 32).
   * The gateway rate-limits per token subject, so more shoppers allow more requests per second.
   */
  shoppers?: number;
  /** Use these access tokens as the shoppers instead of issuing guest tokens. */
  accessTokens?: readonly string[];
  /** First wait before an order journey polls its order (default 100 ms); each next wait is 1.5× longer… */
  pollIntervalMs?: number;
  /** …up to this (default 1 s). */
  maxPollIntervalMs?: number;
  /**
   * Seconds each read of a pending order asks the gateway to wait for its payment outcome
   * (`Prefer: wait`, default 5; 0: poll only). Kept below the request deadline.
   */
  orderWaitSeconds?: number;
  /** How long an order journey polls before it counts as failed (default 30 s). */
  orderSettleTimeoutMs?: number;
  /** Deadline of each request (default 10 s). */
  requestTimeoutMs?: number;
  /** How long journeys still running at the end may take before they are aborted (default 30 s). */
  drainTimeoutMs?: number;
  /** Interval of onProgress (default 1 s). */
  progressIntervalMs?: number;
  /** Stops the run: no new journeys, running ones are aborted, the summary covers what ran. */
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** Called for each order the run saw reach a final status. */
  onOrderSettled?: (order: SettledOrder) => void;
  /** Source of randomness for journey, product and token choices (default Math.random). */
  random?: () => number;
}

const positive = (value: number | undefined, name: string) => {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be a positive number (got ${value})`);
};

/**
 * Runs shopper journeys against a Mercato gateway at a fixed rate and returns what happened.
 * HTTP errors, timeouts and refused connections are counted, never thrown; only invalid options
 * throw (before any request is sent).
 */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  positive(options.ratePerSecond, 'ratePerSecond');
  positive(options.durationMs, 'durationMs');
  positive(options.journeys, 'journeys');
  positive(options.maxConcurrentJourneys, 'maxConcurrentJourneys');
  positive(options.shoppers, 'shoppers');
  new URL(options.baseUrl);
  const mix = options.mix ?? DEFAULT_MIX;
  validateWeights(mix, 'journey mix');
  const paymentTokens = options.paymentTokens ?? { tok_success: 1 };
  validateWeights(paymentTokens, 'payment tokens');
  if (options.accessTokens?.length === 0) throw new RangeError('accessTokens is empty');

  const random = options.random ?? Math.random;
  const pickJourney = weightedPicker(mix, random);
  const pickPaymentToken = weightedPicker(paymentTokens, random);
  const maxInFlight = options.maxConcurrentJourneys ?? 256;
  const intervalMs = 1000 / options.ratePerSecond;

  // `stop` ends scheduling; `abort` cancels the requests of journeys still running.
  const abort = new AbortController();
  const startedAt = Date.now();
  const stats = new LoadStats(startedAt);
  const api = new ApiClient(
    options.baseUrl,
    stats,
    abort.signal,
    options.requestTimeoutMs ?? 10_000,
  );
  const shoppers = options.accessTokens
    ? options.accessTokens.map((token) => new Shopper(token))
    : Array.from({ length: options.shoppers ?? 32 }, () => new Shopper());
  const inFlight = new Set<Promise<void>>();

  let stoppedBy: StopReason | undefined;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stoppedBy ??= 'signal';
    abort.abort();
    wake?.();
  };
  if (options.signal?.aborted) onSignal();
  options.signal?.addEventListener('abort', onSignal, { once: true });

  const progressTimer = options.onProgress
    ? setInterval(
        () => options.onProgress?.(stats.progress(Date.now())),
        options.progressIntervalMs ?? 1_000,
      )
    : undefined;

  let scheduled = 0;
  const clockStart = performance.now();
  try {
    while (stoppedBy === undefined) {
      if (options.journeys !== undefined && scheduled >= options.journeys) {
        stoppedBy = 'journeys';
        break;
      }
      const dueAt = clockStart + scheduled * intervalMs;
      if (options.durationMs !== undefined && dueAt - clockStart >= options.durationMs) {
        stoppedBy = 'duration';
        break;
      }
      const waitMs = dueAt - performance.now();
      if (waitMs > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, waitMs);
        });
        wake = undefined;
        continue;
      }
      scheduled += 1;
      if (inFlight.size >= maxInFlight) {
        stats.journeyDropped();
        continue;
      }
      const shopper = shoppers[(scheduled - 1) % shoppers.length]!;
      const journey = runJourney(pickJourney(), {
        api,
        stats,
        shopper,
        random,
        pickPaymentToken,
        pollIntervalMs: options.pollIntervalMs ?? 100,
        maxPollIntervalMs: Math.max(
          options.maxPollIntervalMs ?? 1_000,
          options.pollIntervalMs ?? 100,
        ),
        orderWaitSeconds: orderWaitSeconds(options),
        orderSettleTimeoutMs: options.orderSettleTimeoutMs ?? 30_000,
        signal: abort.signal,
        onOrderSettled: options.onOrderSettled,
      }).finally(() => inFlight.delete(journey));
      inFlight.add(journey);
    }
    const schedulingEndedAt = Date.now();
    await drain(inFlight, options.drainTimeoutMs ?? 30_000, abort);
    return stats.summary({
      baseUrl: options.baseUrl,
      endedAt: Date.now(),
      schedulingEndedAt,
      stoppedBy: stoppedBy ?? 'signal',
      targetRate: options.ratePerSecond,
    });
  } finally {
    clearInterval(progressTimer);
    options.signal?.removeEventListener('abort', onSignal);
    abort.abort();
    // Kept-alive connections would hold the process (and the gateway's sockets) open.
    api.close();
  }
}

/** Waits for running journeys; after `timeoutMs` aborts them and waits for them to wind down. */
async function drain(
  inFlight: Set<Promise<void>>,
  timeoutMs: number,
  abort: AbortController,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  const aborted = new Promise<void>((resolve) =>
    abort.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  await Promise.race([Promise.all(inFlight), timedOut, aborted]);
  clearTimeout(timer);
  abort.abort();
  await Promise.all(inFlight);
}

/** The wait each pending-order read asks for, a second below the request deadline at most. */
function orderWaitSeconds(options: LoadOptions): number {
  const asked = options.orderWaitSeconds ?? 5;
  const deadline = Math.floor((options.requestTimeoutMs ?? 10_000) / 1000) - 1;
  return Math.max(0, Math.min(asked, deadline));
}
