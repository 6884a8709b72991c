import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';
import { LatencyRecorder, type LatencyStats } from '@mercato/loadgen';

/** How hard and how long to drive one URL. */
export interface ThroughputSettings {
  /** Keep-alive connections, each with one request in flight. */
  connections: number;
  /** Load before measuring (JIT, connection set-up, caches); not counted. */
  warmupSeconds: number;
  durationSeconds: number;
}

/** Throughput and latency of one URL under a fixed number of connections. */
export interface ThroughputResult {
  /** 2xx responses per second of the measured phase. */
  requestsPerSecond: number;
  /** Latency of the 2xx responses, exact percentiles in milliseconds. */
  latencyMs: LatencyStats;
  responses: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  durationSeconds: number;
}

/**
 * Drives `url` with autocannon (a keep-alive client far faster than the services it measures) and
 * records each response's latency itself: autocannon's own histogram has 1 ms resolution, too
 * coarse for sub-millisecond answers.
 */
export async function measureThroughput(
  url: string,
  settings: ThroughputSettings,
): Promise<ThroughputResult> {
  if (settings.warmupSeconds > 0)
    await autocannon({ url, connections: settings.connections, duration: settings.warmupSeconds });

  const latencies = new LatencyRecorder();
  let responses = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections: settings.connections, duration: settings.durationSeconds },
      (error: Error | null, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses += 1;
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime);
    });
  });
  const latencyMs = latencies.stats();
  if (!latencyMs)
    throw new Error(
      `no successful response from ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`,
    );
  return {
    requestsPerSecond: latencyMs.count / result.duration,
    latencyMs,
    responses,
    non2xx: result.non2xx,
    errors: result.errors,
    durationSeconds: result.duration,
  };
}

/** A fixed request rate (open loop) for a while. */
export interface PacedSettings {
  ratePerSecond: number;
  /** At the same rate before the first measured run of each URL; not counted. */
  warmupSeconds: number;
  /** Of each run. */
  durationSeconds: number;
  /** Keep-alive connections at most; a request due while all are busy waits for one (and that counts). */
  connections: number;
}

/** Latency of one URL under a fixed request rate, over all its runs. */
export interface PacedResult extends ThroughputResult {
  /** The rate asked for; `requestsPerSecond` is the 2xx responses per second it got. */
  ratePerSecond: number;
  /**
   * How late the load generator sent each request after it was due (its own timer and event
   * loop, not the server): small figures mean the rate was held.
   */
  sendLagMs: LatencyStats;
  /** p99 of each run on its own, in the order they ran (the other figures pool all runs). */
  runP99Ms: number[];
  /** How many of the errors were of each kind (the error's code, else its message). */
  errorKinds: Record<string, number>;
}

/**
 * Drives `url` at a fixed rate: request i is sent at i / rate s whatever the earlier ones do (open
 * loop), over keep-alive `node:http` connections, and each latency runs from the moment the
 * request was issued to the end of its response — queueing for a busy connection included.
 *
 * Not autocannon's `overallRate`/`connectionRate`: autocannon 9 lets each connection send its
 * whole second's quota back to back when its one-second timer fires, so "30 % of capacity" would
 * be full load for the first third of every second and nothing after it.
 */
export async function measureAtRate(url: string, settings: PacedSettings): Promise<PacedResult> {
  const [result] = await measureAtRateInTurns([url], settings, 1);
  return result!;
}

/**
 * {@link measureAtRate} for several URLs taking turns, `rounds` runs each (a, b, a, b, …), each
 * URL's runs pooled: background load that comes and goes on a shared machine then falls on all of
 * them alike, and the pooled p99 rests on `rounds` times as many responses.
 */
export async function measureAtRateInTurns(
  urls: readonly string[],
  settings: PacedSettings,
  rounds: number,
  onRun: (url: string, p99Ms: number) => void = () => undefined,
): Promise<PacedResult[]> {
  if (!(settings.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be above 0');
  if (!(rounds >= 1)) throw new RangeError('rounds must be at least 1');
  const sides = urls.map((url) => {
    const errorKinds: Record<string, number> = {};
    return {
      url,
      agent: new Agent({ keepAlive: true, maxSockets: settings.connections }),
      latencies: new LatencyRecorder(),
      sendLag: new LatencyRecorder(),
      responses: 0,
      non2xx: 0,
      errors: 0,
      errorKinds,
      runP99Ms: [] as number[],
    };
  });
  try {
    if (settings.warmupSeconds > 0)
      for (const side of sides)
        await paced(
          side.url,
          side.agent,
          settings.ratePerSecond,
          settings.warmupSeconds,
          [],
          undefined,
          {},
        );
    for (let round = 0; round < rounds; round += 1) {
      for (const side of sides) {
        const run = new LatencyRecorder();
        const counts = await paced(
          side.url,
          side.agent,
          settings.ratePerSecond,
          settings.durationSeconds,
          [run, side.latencies],
          side.sendLag,
          side.errorKinds,
        );
        side.responses += counts.responses;
        side.non2xx += counts.non2xx;
        side.errors += counts.errors;
        const p99 = run.stats()?.p99;
        if (p99 !== undefined) {
          side.runP99Ms.push(p99);
          onRun(side.url, p99);
        }
      }
    }
  } finally {
    for (const side of sides) side.agent.destroy();
  }
  const durationSeconds = settings.durationSeconds * rounds;
  return sides.map((side) => {
    const latencyMs = side.latencies.stats();
    if (!latencyMs)
      throw new Error(
        `no successful response from ${side.url}: ${side.non2xx} non-2xx, ${side.errors} errors`,
      );
    return {
      ratePerSecond: settings.ratePerSecond,
      requestsPerSecond: latencyMs.count / durationSeconds,
      latencyMs,
      responses: side.responses,
      non2xx: side.non2xx,
      errors: side.errors,
      durationSeconds,
      sendLagMs: side.sendLag.stats()!,
      runP99Ms: side.runP99Ms,
      errorKinds: side.errorKinds,
    };
  });
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One paced run; latencies go into each of `recorders`, lateness into `sendLag`, and each error is
 * counted in `errorKinds` by its code (else its message).
 */
async function paced(
  url: string,
  agent: Agent,
  ratePerSecond: number,
  seconds: number,
  recorders: readonly LatencyRecorder[],
  sendLag: LatencyRecorder | undefined,
  errorKinds: Record<string, number>,
): Promise<{ responses: number; non2xx: number; errors: number }> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const intervalMs = 1_000 / ratePerSecond;
  let responses = 0;
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  let sent = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const send = () => {
    const issued = performance.now();
    let done = false;
    const finish = (outcome: 'ok' | 'non2xx' | 'error', error?: Error) => {
      if (done) return;
      done = true;
      if (error) {
        const kind = (error as NodeJS.ErrnoException).code ?? error.message;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
      if (outcome === 'ok') {
        const latency = performance.now() - issued;
        for (const recorder of recorders) recorder.record(latency);
      }
      if (outcome !== 'error') responses += 1;
      if (outcome === 'non2xx') non2xx += 1;
      if (outcome === 'error') errors += 1;
      settled += 1;
      if (settled === total) resolve();
    };
    const request = httpRequest(url, { agent }, (response) => {
      const status = response.statusCode ?? 0;
      response.on('end', () => finish(status >= 200 && status < 300 ? 'ok' : 'non2xx'));
      response.on('error', (error) => finish('error', error));
      response.resume();
    });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error('timed out')));
    request.on('error', (error) => finish('error', error));
    request.end();
  };
  const start = performance.now();
  const tick = () => {
    for (;;) {
      const due = start + sent * intervalMs;
      const now = performance.now();
      if (sent >= total || due > now) break;
      sendLag?.record(now - due);
      sent += 1;
      send();
    }
    // The next request is due now or later; a generator behind its schedule asks for 0, which Node
    // runs as 1 ms, rather than a negative delay (a TimeoutNegativeWarning).
    if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
  };
  tick();
  await promise;
  return { responses, non2xx, errors };
}
