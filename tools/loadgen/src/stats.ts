import type { Operation } from './http.js';
import { JOURNEY_KINDS, type JourneyKind } from './options.js';
import { LatencyRecorder, type LatencyStats } from './percentiles.js';

/** What latencies are reported for: each API operation, and `checkout` — from sending the order
 * until polling sees it PAID or CANCELLED. */
export type LatencyName = Operation | 'checkout';

/** Journeys of one kind by outcome. `aborted` ones were cut short by stopping the run. */
export interface JourneyCounts {
  started: number;
  completed: number;
  failed: number;
  aborted: number;
}

/** Every request the run made, by outcome. */
export interface RequestCounts {
  /** Requests that got a response or failed to; aborted ones are not counted. */
  total: number;
  /** Responses by HTTP status code. */
  byStatus: Record<string, number>;
  /** Responses outside 2xx. */
  non2xx: number;
  /** Requests without a response within the request timeout. */
  timeouts: number;
  /** Requests that failed below HTTP (connection refused or reset). */
  networkErrors: number;
  /**
   * Requests sent again on a new connection because the kept-alive one they were sent on had just
   * been closed by the server (only requests safe to repeat: GETs, and POSTs with an
   * Idempotency-Key). Each is counted once in `total`, with the answer of its second attempt.
   */
  resentOnClosedConnection: number;
  /** Requests cancelled because the run was stopped. */
  aborted: number;
}

/** Orders the run placed, by the last status it saw (PENDING_PAYMENT: not settled in time). */
export interface OrderCounts {
  placed: number;
  byStatus: Record<string, number>;
}

/** A snapshot while the run goes on (for a progress line). */
export interface LoadProgress {
  elapsedMs: number;
  journeysStarted: number;
  journeysCompleted: number;
  journeysFailed: number;
  journeysInFlight: number;
  /** Journeys not started because the concurrency cap was reached. */
  journeysDropped: number;
  requests: number;
  non2xx: number;
  /** Requests per second since the previous snapshot. */
  requestsPerSecond: number;
  ordersPlaced: number;
  ordersByStatus: Record<string, number>;
}

/** Why the run stopped starting journeys. */
export type StopReason = 'duration' | 'journeys' | 'signal';

/** The result of a run. */
export interface LoadSummary {
  baseUrl: string;
  startedAt: string;
  /** From the first journey until the last one ended. */
  elapsedMs: number;
  stoppedBy: StopReason;
  /** Journeys per second asked for, and actually started per second while journeys were being started. */
  targetRate: number;
  achievedRate: number;
  journeys: Record<JourneyKind, JourneyCounts>;
  totals: JourneyCounts & { dropped: number };
  requests: RequestCounts;
  latency: Partial<Record<LatencyName, LatencyStats>>;
  orders: OrderCounts;
  /** Why journeys failed, e.g. `createOrder: HTTP 409` → count. */
  failures: Record<string, number>;
}

const increment = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Counters and latencies of one run. */
export class LoadStats {
  readonly #journeys = Object.fromEntries(
    JOURNEY_KINDS.map((kind) => [kind, { started: 0, completed: 0, failed: 0, aborted: 0 }]),
  ) as Record<JourneyKind, JourneyCounts>;
  readonly #latency = new Map<LatencyName, LatencyRecorder>();
  readonly #requests: RequestCounts = {
    total: 0,
    byStatus: {},
    non2xx: 0,
    timeouts: 0,
    networkErrors: 0,
    resentOnClosedConnection: 0,
    aborted: 0,
  };
  readonly #orders: OrderCounts = { placed: 0, byStatus: {} };
  readonly #failures: Record<string, number> = {};
  #dropped = 0;
  #requestsAtLastProgress = 0;
  #lastProgressAt: number;

  constructor(private readonly startedAt: number) {
    this.#lastProgressAt = startedAt;
  }

  recordResponse(operation: Operation, status: number, latencyMs: number): void {
    this.#requests.total += 1;
    increment(this.#requests.byStatus, String(status));
    if (status < 200 || status > 299) this.#requests.non2xx += 1;
    this.recordLatency(operation, latencyMs);
  }

  recordNoResponse(_operation: Operation, kind: 'timeout' | 'network-error'): void {
    this.#requests.total += 1;
    if (kind === 'timeout') this.#requests.timeouts += 1;
    else this.#requests.networkErrors += 1;
  }

  recordResent(): void {
    this.#requests.resentOnClosedConnection += 1;
  }

  recordAborted(): void {
    this.#requests.aborted += 1;
  }

  recordLatency(name: LatencyName, latencyMs: number): void {
    let recorder = this.#latency.get(name);
    if (!recorder) this.#latency.set(name, (recorder = new LatencyRecorder()));
    recorder.record(latencyMs);
  }

  journeyStarted(kind: JourneyKind): void {
    this.#journeys[kind].started += 1;
  }

  journeyEnded(kind: JourneyKind, outcome: 'completed' | 'failed' | 'aborted', reason?: string) {
    this.#journeys[kind][outcome] += 1;
    if (outcome === 'failed') increment(this.#failures, reason ?? `${kind}: failed`);
  }

  journeyDropped(): void {
    this.#dropped += 1;
  }

  orderPlaced(): void {
    this.#orders.placed += 1;
  }

  orderEnded(status: string): void {
    increment(this.#orders.byStatus, status);
  }

  #totals(): JourneyCounts {
    const totals = { started: 0, completed: 0, failed: 0, aborted: 0 };
    for (const counts of Object.values(this.#journeys)) {
      totals.started += counts.started;
      totals.completed += counts.completed;
      totals.failed += counts.failed;
      totals.aborted += counts.aborted;
    }
    return totals;
  }

  progress(now: number): LoadProgress {
    const totals = this.#totals();
    const seconds = (now - this.#lastProgressAt) / 1000;
    const requestsPerSecond =
      seconds > 0 ? (this.#requests.total - this.#requestsAtLastProgress) / seconds : 0;
    this.#lastProgressAt = now;
    this.#requestsAtLastProgress = this.#requests.total;
    return {
      elapsedMs: now - this.startedAt,
      journeysStarted: totals.started,
      journeysCompleted: totals.completed,
      journeysFailed: totals.failed,
      journeysInFlight: totals.started - totals.completed - totals.failed - totals.aborted,
      journeysDropped: this.#dropped,
      requests: this.#requests.total,
      non2xx: this.#requests.non2xx,
      requestsPerSecond,
      ordersPlaced: this.#orders.placed,
      ordersByStatus: { ...this.#orders.byStatus },
    };
  }

  summary(run: {
    baseUrl: string;
    endedAt: number;
    schedulingEndedAt: number;
    stoppedBy: StopReason;
    targetRate: number;
  }): LoadSummary {
    const totals = this.#totals();
    const schedulingSeconds = (run.schedulingEndedAt - this.startedAt) / 1000;
    const latency: Partial<Record<LatencyName, LatencyStats>> = {};
    for (const [name, recorder] of [...this.#latency].sort(([a], [b]) => a.localeCompare(b))) {
      const stats = recorder.stats();
      if (stats) latency[name] = stats;
    }
    return {
      baseUrl: run.baseUrl,
      startedAt: new Date(this.startedAt).toISOString(),
      elapsedMs: run.endedAt - this.startedAt,
      stoppedBy: run.stoppedBy,
      targetRate: run.targetRate,
      achievedRate: schedulingSeconds > 0 ? totals.started / schedulingSeconds : 0,
      journeys: structuredClone(this.#journeys),
      totals: { ...totals, dropped: this.#dropped },
      requests: structuredClone(this.#requests),
      latency,
      orders: structuredClone(this.#orders),
      failures: { ...this.#failures },
    };
  }
}
