// The OpenTelemetry SDK, set up once per process. Only a process's entry point imports this module
// (through its bootstrap), so the layers that record spans load the small API package alone.
import { hostname } from 'node:os';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { TRACING_OFF } from './service.js';
import { useTracer } from './spans.js';

/** Where spans go and how many traces are kept. */
export interface TracingSettings {
  /** The service's name on its spans (`service.name`). */
  serviceName: string;
  /**
   * Base URL of an OTLP/HTTP receiver (Jaeger or an OpenTelemetry Collector, port 4318); spans go to
   * `<endpoint>/v1/traces` as protobuf. Undefined: tracing is off, and trace context is only
   * passed on (log lines and every hop still carry it).
   */
  endpoint: string | undefined;
  /** Share of new traces recorded, 0 to 1; a trace's later spans follow its first (parent-based). */
  sampleRatio: number;
  /** How long finished spans wait to be sent together (default 1 s). */
  exportDelayMs?: number;
  /** Told of every failed export (the spans are dropped; the requests they describe are not). */
  onExportError?: (error: Error) => void;
  /** Replaces the OTLP exporter (tests). */
  exporter?: SpanExporter;
}

/** The tracing of this process. */
export interface Tracing {
  readonly enabled: boolean;
  /** Sends every finished span now. */
  flush(): Promise<void>;
  /** Sends what is left and stops recording; spans opened after this are not recorded. */
  shutdown(): Promise<void>;
}

// Spans queued for export at most: a backend that is down costs this much memory, then spans are
// dropped (counted by the SDK) rather than held.
const MAX_QUEUED_SPANS = 4_096;
const MAX_EXPORT_BATCH = 512;
const EXPORT_TIMEOUT_MS = 5_000;

/**
 * Starts recording spans and sending them to `settings.endpoint`. Export happens in the background
 * in batches; a failed or slow export never reaches the work being traced: it is reported to
 * `onExportError` and the batch is dropped. Call once, before the service starts serving.
 */
export function startTracing(settings: TracingSettings): Tracing {
  if (settings.endpoint === undefined && settings.exporter === undefined) return TRACING_OFF;
  if (!(settings.sampleRatio >= 0 && settings.sampleRatio <= 1)) {
    throw new RangeError(`sample ratio must be between 0 and 1, not ${settings.sampleRatio}`);
  }
  const exporter =
    settings.exporter ??
    new OTLPTraceExporter({
      url: `${settings.endpoint!.replace(/\/+$/, '')}/v1/traces`,
      timeoutMillis: EXPORT_TIMEOUT_MS,
    });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.namespace': 'mercato',
      'service.instance.id': `${process.env.HOSTNAME ?? hostname()}-${process.pid}`,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: MAX_QUEUED_SPANS,
        maxExportBatchSize: MAX_EXPORT_BATCH,
        scheduledDelayMillis: settings.exportDelayMs ?? 1_000,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  const onExportError = settings.onExportError;
  setGlobalErrorHandler((error) => {
    onExportError?.(error instanceof Error ? error : new Error(JSON.stringify(error)));
  });
  useTracer(provider.getTracer('@mercato/tracing'));
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (stopped ??= (async () => {
        useTracer(undefined);
        // The last export failing is reported like any other; it must not fail the shutdown.
        await provider.shutdown().catch((error: unknown) => {
          onExportError?.(error instanceof Error ? error : new Error(String(error)));
        });
      })()),
  };
}
