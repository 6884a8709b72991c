/** A histogram read from a `/metrics` page: its series summed together. */
export interface HistogramReading {
  /** Observations. */
  count: number;
  /** Sum of the observations. */
  sum: number;
  /** Cumulative counts by upper bound (`le`), ascending; the last bound is `+Inf`. */
  buckets: { le: number; count: number }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Reads histogram `name` from Prometheus' text format, adding up the series whose labels satisfy
 * `matches` (`le` aside). A histogram with no matching series reads as zero observations.
 */
export function readHistogram(
  exposition: string,
  name: string,
  matches: (labels: Record<string, string>) => boolean = () => true,
): HistogramReading {
  const reading: HistogramReading = { count: 0, sum: 0, buckets: [] };
  const buckets = new Map<number, number>();
  for (const line of exposition.split('\n')) {
    const sample = SAMPLE.exec(line);
    if (!sample || !sample[1]!.startsWith(name)) continue;
    const suffix = sample[1]!.slice(name.length);
    if (suffix !== '_bucket' && suffix !== '_sum' && suffix !== '_count') continue;
    const labels: Record<string, string> = {};
    for (const [, label, value] of (sample[2] ?? '').matchAll(LABEL)) labels[label!] = value!;
    const { le, ...rest } = labels;
    if (!matches(rest)) continue;
    const value = Number(sample[3]);
    if (suffix === '_count') reading.count += value;
    else if (suffix === '_sum') reading.sum += value;
    else {
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    }
  }
  reading.buckets = [...buckets].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
  return reading;
}

/**
 * Reads counter or gauge `name` from Prometheus' text format: the sum of its series whose labels
 * include every one of `labels` (other labels, such as the default ones, may vary). Zero when no
 * series matches.
 */
export function readSample(
  exposition: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const sample = SAMPLE.exec(line);
    if (!sample || sample[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, label, value] of (sample[2] ?? '').matchAll(LABEL)) found[label!] = value!;
    if (Object.entries(labels).every(([label, wanted]) => found[label] === wanted))
      total += Number(sample[3]);
  }
  return total;
}

/** `later` minus `earlier`: the observations made between two readings of one histogram. */
export function histogramDelta(
  later: HistogramReading,
  earlier: HistogramReading,
): HistogramReading {
  const before = new Map(earlier.buckets.map((bucket) => [bucket.le, bucket.count]));
  return {
    count: later.count - earlier.count,
    sum: later.sum - earlier.sum,
    buckets: later.buckets.map(({ le, count }) => ({ le, count: count - (before.get(le) ?? 0) })),
  };
}

/**
 * The `q` quantile (0…1) estimated from the buckets as Prometheus' `histogram_quantile` does:
 * linear within the bucket that holds it; the highest finite bound when it falls in `+Inf`.
 * Undefined for a histogram without observations.
 */
export function histogramQuantile(q: number, reading: HistogramReading): number | undefined {
  const total = reading.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of reading.buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le;
    }
    lower = le;
    below = count;
  }
  return lower;
}
