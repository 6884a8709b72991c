import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type InstrumentKind = 'counter' | 'gauge' | 'histogram';

interface Definition {
  kind: InstrumentKind;
  labelNames: string;
  instrument: Counter | Gauge | Histogram;
}

// Per registry, what this package created under each name; lets a second call return the same
// instrument instead of prom-client's "already registered" error.
const definitions = new WeakMap<Registry, Map<string, Definition>>();

function getOrCreate<T extends Counter | Gauge | Histogram>(
  registry: Registry,
  kind: InstrumentKind,
  name: string,
  labelNames: readonly string[],
  create: () => T,
): T {
  let byName = definitions.get(registry);
  if (!byName) {
    byName = new Map();
    definitions.set(registry, byName);
  }
  const labelKey = [...labelNames].sort().join(',');
  const existing = byName.get(name);
  // A registry that was cleared no longer holds what we remember; create the instrument again.
  if (existing && registry.getSingleMetric(name) === existing.instrument) {
    if (existing.kind !== kind || existing.labelNames !== labelKey) {
      throw new Error(
        `Metric "${name}" is already defined as a ${existing.kind} with labels [${existing.labelNames}]; ` +
          `it cannot also be a ${kind} with labels [${labelKey}]`,
      );
    }
    return existing.instrument as T;
  }
  if (registry.getSingleMetric(name)) {
    throw new Error(`Metric "${name}" is already registered on this registry by other code`);
  }
  const instrument = create();
  byName.set(name, { kind, labelNames: labelKey, instrument });
  return instrument;
}

/**
 * Returns the counter `name` of this registry, creating it on first use. Asking again with the
 * same labels returns the same counter; asking with other labels or another type throws.
 */
export function counter<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return getOrCreate(
    registry,
    'counter',
    name,
    labelNames,
    () => new Counter<L>({ name, help, labelNames, registers: [registry] }),
  );
}

/** Returns the gauge `name` of this registry, creating it on first use (same rules as `counter`). */
export function gauge<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return getOrCreate(
    registry,
    'gauge',
    name,
    labelNames,
    () => new Gauge<L>({ name, help, labelNames, registers: [registry] }),
  );
}

/** Returns the histogram `name` of this registry, creating it on first use (same rules as `counter`). */
export function histogram<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: readonly number[] = DURATION_BUCKETS_SECONDS,
): Histogram<L> {
  return getOrCreate(
    registry,
    'histogram',
    name,
    labelNames,
    () =>
      new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers: [registry] }),
  );
}

/** Latency buckets in seconds, as OpenTelemetry recommends for HTTP and RPC server durations. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Counts failed span exports in `tracing_export_failures_total`. */
export function exportFailureCounter(metrics: Registry): () => void {
  const failures = counter(
    metrics,
    'tracing_export_failures_total',
    'Span exports to the trace backend that failed (those spans are dropped; requests are not affected).',
  );
  return () => failures.inc();
}

/**
 * Counts the memory reducer's collections (`@mercato/health`'s startMemoryReducer) and the heap they
 * gave back; pass the result as its `onReduced`.
 */
export function memoryReductionCounter(
  metrics: Registry,
): (reduction: { heapBefore: number; heapAfter: number }) => void {
  const reductions = counter(
    metrics,
    'process_memory_reductions_total',
    'Memory-reducing collections run while the process was quiet (D46).',
  );
  const released = counter(
    metrics,
    'process_memory_reduced_heap_bytes_total',
    "V8 heap given back by the memory reducer's collections, in bytes.",
  );
  return ({ heapBefore, heapAfter }) => {
    reductions.inc();
    released.inc(Math.max(0, heapBefore - heapAfter));
  };
}
