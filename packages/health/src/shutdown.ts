import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { type Health } from './health.js';
import { describeError, silentLogger, type HealthLogger } from './logger.js';

/** Releases one resource (stops a server, disconnects a Kafka client, ends a pool); may return a promise. */
export type Closer = () => unknown;

/** Options of the shutdown coordinator. */
export interface ShutdownCoordinatorOptions {
  /** Marked draining as soon as shutdown starts, so readiness fails at once. */
  health: Health;
  /** Time between failing readiness and closing anything, for load balancers to stop routing here. */
  drainDelayMs: number;
  /** Hard limit for the whole shutdown (drain delay included); past it the process exits with 1. */
  timeoutMs: number;
  logger?: HealthLogger;
  /** Ends the process. Default: `process.exit`. */
  exit?: (code: number) => void;
}

/** Signals a container runtime or a terminal sends to ask for a graceful stop. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Runs the graceful shutdown of a process exactly once: fail readiness, wait the drain delay,
 * run the registered closers one by one in reverse registration order, then exit.
 */
export class ShutdownCoordinator {
  readonly #health: Health;
  readonly #drainDelayMs: number;
  readonly #timeoutMs: number;
  readonly #logger: HealthLogger;
  readonly #exit: (code: number) => void;
  readonly #closers: { name: string; close: Closer }[] = [];
  #shutdown: Promise<number> | undefined;

  constructor(options: ShutdownCoordinatorOptions) {
    if (!(options.drainDelayMs >= 0)) {
      throw new RangeError(`drainDelayMs must be zero or more, got ${options.drainDelayMs}`);
    }
    if (!(options.timeoutMs > options.drainDelayMs)) {
      throw new RangeError(
        `timeoutMs (${options.timeoutMs}) must exceed drainDelayMs (${options.drainDelayMs}) to leave time for the closers`,
      );
    }
    this.#health = options.health;
    this.#drainDelayMs = options.drainDelayMs;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger ?? silentLogger;
    this.#exit = options.exit ?? ((code) => process.exit(code));
  }

  /**
   * Adds a closer. Closers run last-registered-first, so register each resource right after opening
   * it: open the database, then Kafka, then start the servers, and shutdown stops the servers
   * (no new requests, in-flight ones finish) before Kafka and the database they use are closed.
   */
  register(name: string, close: Closer): this {
    if (this.#closers.some((closer) => closer.name === name)) {
      throw new Error(`A closer named "${name}" is already registered`);
    }
    this.#closers.push({ name, close });
    return this;
  }

  /** Starts the shutdown on SIGTERM or SIGINT (or the given signals); later signals are ignored. */
  installSignalHandlers(signals: readonly NodeJS.Signals[] = SHUTDOWN_SIGNALS): this {
    for (const signal of signals) {
      process.on(signal, () => {
        void this.shutdown(signal);
      });
    }
    return this;
  }

  /**
   * Shuts down and exits; resolves with the exit code handed to `exit`. Calling it again while a
   * shutdown runs does not restart anything: it returns the shutdown already under way.
   */
  shutdown(reason: string): Promise<number> {
    if (this.#shutdown) {
      this.#logger.warn({ reason }, `Shutdown already in progress; ignoring ${reason}`);
      return this.#shutdown;
    }
    this.#shutdown = this.#run(reason);
    return this.#shutdown;
  }

  async #run(reason: string): Promise<number> {
    const startedAt = performance.now();
    this.#health.markDraining();
    this.#logger.info(
      { reason, drainDelayMs: this.#drainDelayMs, timeoutMs: this.#timeoutMs },
      `Shutdown started (${reason}): readiness fails now, closing in ${this.#drainDelayMs} ms`,
    );

    let pendingStep = 'drain delay';
    let deadlineTimer: NodeJS.Timeout | undefined;
    // This timer keeps the event loop alive on purpose: if a closer hangs on nothing, the
    // process must still end with a failure code instead of quietly exiting with 0.
    const deadline = new Promise<number>((resolve) => {
      deadlineTimer = setTimeout(() => {
        this.#logger.error(
          { step: pendingStep, timeoutMs: this.#timeoutMs },
          `Shutdown timed out after ${this.#timeoutMs} ms waiting for "${pendingStep}"`,
        );
        resolve(1);
      }, this.#timeoutMs);
    });

    const sequence = async (): Promise<number> => {
      await delay(this.#drainDelayMs);
      let exitCode = 0;
      for (const { name, close } of [...this.#closers].reverse()) {
        pendingStep = name;
        const closerStartedAt = performance.now();
        this.#logger.info({ closer: name }, `Closing ${name}`);
        try {
          await close();
          this.#logger.info(
            { closer: name, durationMs: elapsedMs(closerStartedAt) },
            `Closed ${name}`,
          );
        } catch (error) {
          // Keep going: the remaining resources still deserve a clean close.
          exitCode = 1;
          this.#logger.error(
            { closer: name, err: error },
            `Closing ${name} failed: ${describeError(error)}`,
          );
        }
      }
      return exitCode;
    };

    const exitCode = await Promise.race([sequence(), deadline]);
    clearTimeout(deadlineTimer);
    this.#logger.info(
      { exitCode, durationMs: elapsedMs(startedAt) },
      exitCode === 0 ? 'Shutdown complete' : 'Shutdown finished with errors',
    );
    this.#exit(exitCode);
    return exitCode;
  }
}

/** Creates the coordinator of a process's graceful shutdown; call `installSignalHandlers()` on it. */
export function createShutdownCoordinator(
  options: ShutdownCoordinatorOptions,
): ShutdownCoordinator {
  return new ShutdownCoordinator(options);
}

function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
