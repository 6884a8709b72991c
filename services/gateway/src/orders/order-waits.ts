/** How a wait for an order's change ended. */
export type WaitOutcome = 'changed' | 'timeout' | 'not-live' | 'cancelled';

/** One waiting request. */
export interface OrderWatch {
  /** Resolves once: on the order's change, at the timeout, when the feed stops, or on cancel. */
  readonly ended: Promise<WaitOutcome>;
  /** Ends the wait now ('cancelled'), e.g. when the client went away; a no-op once ended. */
  cancel(): void;
}

/** Options of the order waits. */
export interface OrderWaitsOptions {
  /** Requests that may wait at once; beyond it a request is answered without waiting. */
  maxWaiting: number;
  /** Called when a wait ends (metrics). */
  onEnd?(outcome: WaitOutcome): void;
}

/**
 * Requests waiting for an order to change (`GET /orders/{id}` with `Prefer: wait=N`), woken by the
 * gateway's orders feed. A wait can only be trusted while the feed is live: while it is not, no
 * new wait starts, and the feed going away ends every wait ('not-live') — the request then reads
 * the order again and answers, so a customer never waits longer than asked for a change that was
 * missed.
 */
export class OrderWaits {
  readonly #options: OrderWaitsOptions;
  readonly #waiting = new Map<string, Set<(outcome: WaitOutcome) => void>>();
  #count = 0;
  #live = false;
  #closed = false;

  constructor(options: OrderWaitsOptions) {
    this.#options = options;
  }

  /** Whether a wait may start (the feed is live and the waits are not closed). */
  get live(): boolean {
    return this.#live && !this.#closed;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#count;
  }

  /** The feed became live, or stopped being live (which ends every wait). */
  setLive(live: boolean): void {
    this.#live = live;
    if (!live) this.#endAll('not-live');
  }

  /** For good (the gateway is shutting down): ends every wait and starts no new one. */
  close(): void {
    this.#closed = true;
    this.#endAll('not-live');
  }

  /** Something happened to the order (its payment outcome): its waits end 'changed'. */
  notify(orderId: string): void {
    const waiters = this.#waiting.get(orderId);
    if (!waiters) return;
    for (const end of [...waiters]) end('changed');
  }

  /**
   * Starts waiting for the order to change, for at most `timeoutMs`; undefined when no wait can
   * start (the feed is not live, or `maxWaiting` requests wait already). Start it before reading
   * the order, so that a change between the read and the wait is not missed.
   */
  watch(orderId: string, timeoutMs: number): OrderWatch | undefined {
    if (!this.live || this.#count >= this.#options.maxWaiting) return undefined;
    let end!: (outcome: WaitOutcome) => void;
    const ended = new Promise<WaitOutcome>((resolve) => {
      let done = false;
      const timer = setTimeout(() => end('timeout'), timeoutMs);
      end = (outcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const waiters = this.#waiting.get(orderId);
        waiters?.delete(end);
        if (waiters?.size === 0) this.#waiting.delete(orderId);
        this.#count -= 1;
        this.#options.onEnd?.(outcome);
        resolve(outcome);
      };
    });
    const waiters = this.#waiting.get(orderId) ?? new Set();
    waiters.add(end);
    this.#waiting.set(orderId, waiters);
    this.#count += 1;
    return { ended, cancel: () => end('cancelled') };
  }

  #endAll(outcome: WaitOutcome): void {
    for (const waiters of [...this.#waiting.values()]) for (const end of [...waiters]) end(outcome);
  }
}

/** The longest `Prefer: wait` the gateway honours, in seconds (a client asking more gets this). */
export const MAX_ORDER_WAIT_SECONDS = 20;

/**
 * The `wait` preference of a `Prefer` header (RFC 7240 §4.3: `wait=<delta-seconds>`), capped at
 * `maxSeconds`; undefined without one, or with one that is not a whole number of seconds ≥ 1.
 * Other preferences in the header are ignored.
 */
export function preferredWaitSeconds(
  header: string | undefined,
  maxSeconds = MAX_ORDER_WAIT_SECONDS,
): number | undefined {
  if (header === undefined) return undefined;
  for (const preference of header.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*(?:;.*)?$/i.exec(preference);
    if (!match) continue;
    const seconds = Number(match[1]);
    return seconds >= 1 ? Math.min(seconds, maxSeconds) : undefined;
  }
  return undefined;
}
