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
