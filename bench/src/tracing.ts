// Part (k): what tracing costs. The catalog read of (h) — gateway → gRPC → product, cache off, so
// each request is four spans: the gateway's server and client spans, the product service's server
// span and its query — with tracing off, at 10 % and at 100 %, the three gateways taking turns in
// front of one product service, both exporting to an OTLP receiver in a process of its own.
import { reservePort } from '@mercato/harness';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstProductId, gatewayServiceEnv, medianRun, productServiceEnv } from './benchmarks.js';
import { measureThroughput, type ThroughputResult, type ThroughputSettings } from './http-load.js';
import { startService, startTarget } from './processes.js';

/** The sampling of each variant: none (no exporter at all), 10 % and 100 % of new traces. */
export const TRACING_VARIANTS = [
  { id: 'off', title: 'tracing off (no exporter)', sampleRatio: undefined },
  { id: 'ten', title: 'tracing on, 10 % sampled', sampleRatio: 0.1 },
  { id: 'full', title: 'tracing on, 100 % sampled', sampleRatio: 1 },
] as const;

export type TracingVariantId = (typeof TRACING_VARIANTS)[number]['id'];

/** One turn of one variant. */
export interface TracingRun {
  result: ThroughputResult;
  /** OTLP bytes the receiver got during the turn (both services), per 2xx response. */
  exportedBytesPerRequest: number;
}

export interface TracingResult {
  path: string;
  rounds: number;
  runs: Record<TracingVariantId, TracingRun[]>;
  /** The median turn of each variant (by req/s). */
  median: Record<TracingVariantId, TracingRun>;
  ratios: { tenOverOff: number; fullOverOff: number };
}

export interface TracingContext {
  kafkaBrokers: readonly string[];
  kafkaNamespace: string;
  databaseEnv: Record<string, string>;
  throughput: ThroughputSettings;
  rounds: number;
  log: (line: string) => void;
}

// Spans finished in the last second of a turn wait up to the exporter's 1 s delay.
const EXPORT_SETTLE_MS = 1_500;

async function sinkStats(url: string): Promise<{ requests: number; bytes: number }> {
  const response = await fetch(`${url}/stats`);
  return (await response.json()) as { requests: number; bytes: number };
}

/** Runs part (k): `rounds` turns of each variant, off → 10 % → 100 %, and the medians. */
export async function measureTracing(context: TracingContext): Promise<TracingResult> {
  const { log } = context;
  const sink = await startTarget('otlp-sink', {});
  const productPorts = { grpc: await reservePort(), http: await reservePort() };
  try {
    const product = await startService(
      'product',
      '@mercato/product-service',
      {
        ...productServiceEnv(
          productPorts,
          context.kafkaBrokers,
          context.kafkaNamespace,
          context.databaseEnv,
        ),
        // Parent-based: the product service records a request's spans when the gateway sampled it.
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      },
      `http://127.0.0.1:${productPorts.http}/health/ready`,
    );
    try {
      const runs: Record<TracingVariantId, TracingRun[]> = { off: [], ten: [], full: [] };
      let path = '';
      for (let round = 0; round < context.rounds; round += 1) {
        for (const variant of TRACING_VARIANTS) {
          const port = await reservePort();
          const gateway = await startService(
            'gateway',
            '@mercato/gateway-service',
            gatewayServiceEnv(context.kafkaBrokers, context.kafkaNamespace, {
              HTTP_PORT: String(port),
              PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${productPorts.grpc}`,
              CATALOG_CACHE: 'false',
              ...(variant.sampleRatio === undefined
                ? {}
                : {
                    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
                    OTEL_TRACES_SAMPLER_ARG: String(variant.sampleRatio),
                  }),
            }),
            `http://127.0.0.1:${port}/health/live`,
          );
          try {
            const base = `http://127.0.0.1:${port}`;
            path = `/api/v1/products/${await firstProductId(base)}`;
            log(`(k) ${variant.title}, round ${round + 1}: measuring ${base}${path}`);
            // The warm-up's spans are exported too; only the measured phase's bytes count.
            if (context.throughput.warmupSeconds > 0) {
              await measureThroughput(`${base}${path}`, {
                ...context.throughput,
                durationSeconds: context.throughput.warmupSeconds,
                warmupSeconds: 0,
              });
              await sleep(EXPORT_SETTLE_MS);
            }
            const before = await sinkStats(sink.url);
            const result = await measureThroughput(`${base}${path}`, {
              ...context.throughput,
              warmupSeconds: 0,
            });
            await sleep(EXPORT_SETTLE_MS);
            const after = await sinkStats(sink.url);
            if (result.non2xx > 0 || result.errors > 0) {
              throw new Error(
                `(k) ${variant.title}: ${result.non2xx} non-2xx responses, ${result.errors} errors`,
              );
            }
            const run = {
              result,
              exportedBytesPerRequest: (after.bytes - before.bytes) / Math.max(1, result.responses),
            };
            runs[variant.id].push(run);
            log(
              `(k) ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
                `${run.exportedBytesPerRequest.toFixed(0)} OTLP bytes per request`,
            );
          } finally {
            await gateway.stop();
          }
        }
      }
      const median = {
        off: medianRun(runs.off),
        ten: medianRun(runs.ten),
        full: medianRun(runs.full),
      };
      const off = median.off.result.requestsPerSecond;
      return {
        path,
        rounds: context.rounds,
        runs,
        median,
        ratios: {
          tenOverOff: median.ten.result.requestsPerSecond / off,
          fullOverOff: median.full.result.requestsPerSecond / off,
        },
      };
    } finally {
      await product.stop();
    }
  } finally {
    await sink.process.stop();
  }
}
