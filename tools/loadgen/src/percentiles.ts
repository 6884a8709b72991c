/** Percentiles and extremes of one set of latencies, in milliseconds. */
export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The nearest-rank percentile of ascending `sorted` values: the smallest value such that at least
 * `percent` % of the values are less than or equal to it. Exact — no interpolation, no buckets —
 * so a reported p99 is a latency some request really had.
 */
export function percentile(sorted: ArrayLike<number>, percent: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`percentile ${percent} is not in 0–100`);
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Collects latencies and reports exact percentiles. Samples are kept (8 bytes each: an hour at
 * 1,000 requests/s is 29 MB), which an HDR histogram would avoid at the price of rounding; a load
 * generator run is short enough for exact figures.
 */
export class LatencyRecorder {
  #values = new Float64Array(1024);
  #count = 0;
  #sum = 0;

  /** Adds one latency in milliseconds. */
  record(milliseconds: number): void {
    if (!Number.isFinite(milliseconds) || milliseconds < 0)
      throw new RangeError(`latency ${milliseconds} is not a non-negative number`);
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count] = milliseconds;
    this.#count += 1;
    this.#sum += milliseconds;
  }

  /** Number of recorded latencies. */
  get count(): number {
    return this.#count;
  }

  /** Statistics of everything recorded so far, or undefined when nothing was. */
  stats(): LatencyStats | undefined {
    if (this.#count === 0) return undefined;
    const sorted = this.#values.slice(0, this.#count).sort();
    return {
      count: this.#count,
      min: sorted[0]!,
      mean: this.#sum / this.#count,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[this.#count - 1]!,
    };
  }
}
