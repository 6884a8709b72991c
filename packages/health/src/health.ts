import { performance } from 'node:perf_hooks';
import { describeError } from './logger.js';

/** Lifecycle of a process: `starting` until `markStarted()`, `ready` while serving, `draining` once shutdown began. */
export type LifecycleState = 'starting' | 'ready' | 'draining';

/**
 * A readiness dependency check, sync or async. Return (or resolve) when the dependency is usable,
 * throw (or reject) when not. The signal aborts when the check's timeout elapses, so a check can
 * cancel the work it started.
 */
export type HealthCheckFn = (signal: AbortSignal) => unknown;

/** Options of one registered check. */
export interface HealthCheckOptions {
  /** The check fails with "timed out" when it has not settled after this many milliseconds. */
  timeoutMs: number;
  /** A failing non-critical check is reported but does not make the process unready. Default: true. */
  critical?: boolean;
}

/** Outcome of one check in a readiness report. */
export interface CheckResult {
  status: 'pass' | 'fail';
  critical: boolean;
  durationMs: number;
  error?: string;
}

/** Overall readiness: `ready` when every critical check passed; the other values say why not. */
export type ReadinessStatus = 'ready' | 'not_ready' | 'starting' | 'draining';

/** What `/health/ready` answers and the gRPC health service is derived from. */
export interface ReadinessReport {
  status: ReadinessStatus;
  checks: Record<string, CheckResult>;
}

/** A snapshot of the health state, handed to change listeners. */
export interface HealthSnapshot {
  state: LifecycleState;
  ready: boolean;
}

/** Called whenever the lifecycle state changes or overall readiness flips. */
export type HealthChangeListener = (snapshot: HealthSnapshot) => void;

interface RegisteredCheck {
  run: HealthCheckFn;
  timeoutMs: number;
  critical: boolean;
}

/**
 * The health state of one process: its lifecycle (starting → ready → draining) and the readiness
 * checks of the dependencies it cannot serve without. HTTP probes, the gRPC health service and the
 * shutdown coordinator all read and drive this one object.
 */
export class Health {
  readonly #checks = new Map<string, RegisteredCheck>();
  readonly #listeners = new Set<HealthChangeListener>();
  #state: LifecycleState = 'starting';
  #ready = false;
  #evaluation: Promise<ReadinessReport> | undefined;

  /** The current lifecycle state. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** Readiness as of the last evaluation or lifecycle change (no checks are run). */
  get isReady(): boolean {
    return this.#ready;
  }

  /** Adds a readiness check; names must be unique because they key the report. */
  registerCheck(name: string, run: HealthCheckFn, options: HealthCheckOptions): this {
    if (this.#checks.has(name)) {
      throw new Error(`A health check named "${name}" is already registered`);
    }
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new RangeError(
        `Health check "${name}" needs a positive timeoutMs, got ${options.timeoutMs}`,
      );
    }
    this.#checks.set(name, {
      run,
      timeoutMs: options.timeoutMs,
      critical: options.critical ?? true,
    });
    return this;
  }

  /** Ends the start-up phase: the startup probe passes and readiness checks start to count. */
  markStarted(): void {
    if (this.#state === 'starting') {
      this.#state = 'ready';
      this.#notify();
    }
  }

  /** Starts draining: readiness fails at once and stays failed until the process exits. */
  markDraining(): void {
    if (this.#state === 'draining') return;
    this.#state = 'draining';
    this.#ready = false;
    this.#notify();
  }

  /** Subscribes to lifecycle changes and readiness flips; returns the function that unsubscribes. */
  onChange(listener: HealthChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs every check in parallel, each bounded by its timeout. Concurrent callers share one
   * evaluation, so a burst of probes never multiplies the load on a struggling dependency.
   */
  checkReadiness(): Promise<ReadinessReport> {
    if (this.#state !== 'ready') {
      return Promise.resolve({ status: this.#state, checks: {} });
    }
    this.#evaluation ??= this.#evaluate().finally(() => {
      this.#evaluation = undefined;
    });
    return this.#evaluation;
  }

  async #evaluate(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const allCriticalPass = entries.every(
      ([, result]) => result.status === 'pass' || !result.critical,
    );
    // Shutdown may have begun while the checks ran; draining always wins.
    if (this.#state !== 'ready') {
      return { status: this.#state, checks };
    }
    this.#setReady(allCriticalPass);
    return { status: allCriticalPass ? 'ready' : 'not_ready', checks };
  }

  #setReady(ready: boolean): void {
    if (this.#ready === ready) return;
    this.#ready = ready;
    this.#notify();
  }

  #notify(): void {
    const snapshot: HealthSnapshot = { state: this.#state, ready: this.#ready };
    for (const listener of this.#listeners) listener(snapshot);
  }
}

/** Creates the health state of a process (starting, no checks). */
export function createHealth(): Health {
  return new Health();
}

async function runCheck(check: RegisteredCheck): Promise<CheckResult> {
  const controller = new AbortController();
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${check.timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, check.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => check.run(controller.signal)), timedOut]);
    return { status: 'pass', critical: check.critical, durationMs: elapsedMs(startedAt) };
  } catch (error) {
    return {
      status: 'fail',
      critical: check.critical,
      durationMs: elapsedMs(startedAt),
      error: describeError(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
