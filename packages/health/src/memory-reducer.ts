import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { describeError, silentLogger, type HealthLogger } from './logger.js';

/**
 * V8's `gc` function, which `node --expose-gc` puts on `globalThis`. The options are those of V8's
 * gc extension; `flavor: 'last-resort'` is the memory-reducing collection: it also shrinks the
 * young generation back to its initial size and gives freed pages back to the system.
 */
export type GcFunction = (options?: {
  type?: 'major' | 'minor';
  execution?: 'sync' | 'async';
  flavor?: 'regular' | 'last-resort';
}) => void;

/** What one reduction did, as logged. */
export interface MemoryReduction {
  /** V8's committed heap before and after, in bytes. */
  heapBefore: number;
  heapAfter: number;
  /** Resident set size of the process before and after, in bytes. */
  rssBefore: number;
  rssAfter: number;
  /** How long the collection held the event loop, in ms. */
  pauseMs: number;
}

export interface MemoryReducerOptions {
  /** V8's gc function; by default `globalThis.gc`, present only under `--expose-gc`. */
  gc?: GcFunction | undefined;
  /** How often the process is looked at, in ms. Default 5 s. */
  intervalMs?: number;
  /**
   * Event-loop utilization (0–1) below which a whole interval counts as quiet. Default 0.05: a
   * service answering a trickle of requests (probes, scrapes, a few reads) is quiet, one under load
   * is not. On a busy machine an idle loop's utilization reads higher than it is (a callback that
   * waits for a core counts as busy), so the bound is not set at the bare minimum.
   */
  quietUtilization?: number;
  /**
   * How much V8's committed heap must have grown since the last reduction (or since start-up,
   * for the first) before a quiet interval runs one. Default 8 MiB: a process that stays idle is
   * not collected again and again.
   */
  growthBytes?: number;
  logger?: HealthLogger;
  /** Called after each reduction (metrics, tests). */
  onReduced?: (reduction: MemoryReduction) => void;
  /** Seams for tests: the committed heap, the RSS and the utilization since the last call. */
  heapBytes?: () => number;
  rssBytes?: () => number;
  utilization?: () => number;
}

/** A running memory reducer. */
export interface MemoryReducer {
  /** Whether it can reduce at all (V8's gc function is there). */
  readonly active: boolean;
  /** Looks at the process once, as the timer does; returns the reduction if one ran. */
  check(): MemoryReduction | undefined;
  stop(): void;
}

const MIB = 1024 * 1024;

/**
 * Gives back the memory a service holds only because it was busy once — start-up (compiling a
 * thousand-odd modules, running migrations) or a burst of load — once it is quiet again.
 *
 * V8 sizes its young generation up to `--max-semi-space-size` while a process allocates fast and
 * keeps it at that size afterwards; browsers ask V8 to shrink the heap when a tab goes idle, but
 * Node.js never does, so an idle service keeps its start-up peak for its whole life (D46). This
 * looks at the process every `intervalMs`: when a whole interval was quiet (event-loop utilization
 * below `quietUtilization`) and V8's committed heap has grown by `growthBytes` since the last
 * reduction, it runs one memory-reducing collection. The collection holds the event loop for tens
 * of milliseconds, which is why it waits for a quiet interval and never runs under load.
 *
 * Without `--expose-gc` (the images set it, docs/decisions.md D46; a test runner does not) there
 * is no gc function and the reducer does nothing.
 */
export function startMemoryReducer(options: MemoryReducerOptions = {}): MemoryReducer {
  const gc = options.gc ?? (globalThis as { gc?: GcFunction }).gc;
  const intervalMs = options.intervalMs ?? 5_000;
  const quietUtilization = options.quietUtilization ?? 0.05;
  const growthBytes = options.growthBytes ?? 8 * MIB;
  const logger = options.logger ?? silentLogger;
  const heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
  const rssBytes = options.rssBytes ?? (() => process.memoryUsage.rss());
  let last: EventLoopUtilization | undefined;
  const utilization =
    options.utilization ??
    (() => {
      const now = performance.eventLoopUtilization();
      const interval = last === undefined ? now : performance.eventLoopUtilization(now, last);
      last = now;
      return interval.utilization;
    });
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be above 0, got ${intervalMs}`);

  if (gc === undefined) {
    logger.info(
      {},
      'memory reducer off: no gc function (node runs without --expose-gc); an idle process keeps its peak heap',
    );
    return { active: false, check: () => undefined, stop: () => undefined };
  }
  // The first reduction is due once start-up is over and the process is quiet.
  let baseline = 0;
  utilization();

  const check = (): MemoryReduction | undefined => {
    const quiet = utilization() < quietUtilization;
    const heapBefore = heapBytes();
    if (!quiet || heapBefore - baseline < growthBytes) return undefined;
    const rssBefore = rssBytes();
    const started = performance.now();
    try {
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    } catch (error) {
      logger.warn({ error: describeError(error) }, 'memory reducer: the collection failed');
      baseline = heapBefore;
      return undefined;
    }
    const reduction: MemoryReduction = {
      heapBefore,
      heapAfter: heapBytes(),
      rssBefore,
      rssAfter: rssBytes(),
      pauseMs: performance.now() - started,
    };
    baseline = reduction.heapAfter;
    // The collection itself is busy time; it must not make the next interval look busy.
    utilization();
    logger.info(
      {
        heapMiB: [mib(reduction.heapBefore), mib(reduction.heapAfter)],
        rssMiB: [mib(reduction.rssBefore), mib(reduction.rssAfter)],
        pauseMs: Math.round(reduction.pauseMs),
      },
      'memory reduced while quiet',
    );
    options.onReduced?.(reduction);
    return reduction;
  };

  const timer = setInterval(check, intervalMs);
  timer.unref();
  return { active: true, check, stop: () => clearInterval(timer) };
}

const mib = (bytes: number) => Math.round(bytes / MIB);
