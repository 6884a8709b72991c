import { status } from '@grpc/grpc-js';
import { isServiceError } from '@mercato/grpc';

/** closed: calls flow; open: calls are rejected at once; half-open: one trial call decides. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive backend failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before a trial call is let through. */
  coolDownMs: number;
  /** Called on every state change (metrics, logs). */
  onStateChange?: (state: CircuitState) => void;
  /** Clock, replaceable in unit tests. */
  now?: () => number;
}

/** Thrown instead of calling a backend whose circuit is open. */
export class CircuitOpenError extends Error {
  constructor(
    readonly backend: string,
    /** When the next trial call will be allowed. */
    readonly retryAfterMs: number,
  ) {
    super(`circuit of ${backend} is open`);
    this.name = 'CircuitOpenError';
  }
}

// Only these say "the backend is unreachable or overloaded"; NOT_FOUND or INVALID_ARGUMENT are
// answers from a healthy backend and must not open the circuit.
const BACKEND_FAILURES: ReadonlySet<number> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
]);

/** Whether an error counts against a backend's circuit. */
export const isBackendFailure = (error: unknown): boolean =>
  isServiceError(error) && BACKEND_FAILURES.has(error.code);

/**
 * A consecutive-failure circuit breaker: after `failureThreshold` failures in a row the circuit
 * opens and calls fail at once (no deadline is waited for); after `coolDownMs` one trial call is
 * let through (half-open) — success closes the circuit, failure opens it for another cool-down.
 */
export class CircuitBreaker {
  readonly #options: Required<Omit<CircuitBreakerOptions, 'onStateChange'>> &
    Pick<CircuitBreakerOptions, 'onStateChange'>;
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(
    readonly name: string,
    options: CircuitBreakerOptions,
  ) {
    this.#options = { now: Date.now, ...options };
  }

  /** The current state; an open circuit whose cool-down has passed reports half-open. */
  get state(): CircuitState {
    if (this.#state === 'open' && this.#remainingCoolDown() === 0) return 'half-open';
    return this.#state;
  }

  /** Runs `call` unless the circuit rejects it, and records how it went. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const isTrial = this.#admit();
    try {
      const result = await call();
      this.#succeeded();
      return result;
    } catch (error) {
      if (isBackendFailure(error)) this.#failed();
      else this.#succeeded();
      throw error;
    } finally {
      if (isTrial) this.#trialInFlight = false;
    }
  }

  /** Throws when the call is rejected; returns whether it is the half-open trial. */
  #admit(): boolean {
    if (this.#state === 'closed') return false;
    const remaining = this.#remainingCoolDown();
    if (remaining > 0) throw new CircuitOpenError(this.name, remaining);
    // Exactly one trial at a time: a burst arriving as the cool-down ends must not hit a backend
    // that may still be down.
    if (this.#trialInFlight) throw new CircuitOpenError(this.name, this.#options.coolDownMs);
    this.#trialInFlight = true;
    this.#transition('half-open');
    return true;
  }

  #succeeded(): void {
    this.#consecutiveFailures = 0;
    this.#transition('closed');
  }

  #failed(): void {
    this.#consecutiveFailures += 1;
    if (
      this.#state === 'half-open' ||
      this.#consecutiveFailures >= this.#options.failureThreshold
    ) {
      this.#openedAt = this.#options.now();
      this.#transition('open');
    }
  }

  #remainingCoolDown(): number {
    return Math.max(0, this.#openedAt + this.#options.coolDownMs - this.#options.now());
  }

  #transition(state: CircuitState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }
}
