// How a service starts its tracing from its configuration. This module is light: the SDK
// (`./sdk.js`) is imported only when an endpoint is configured.
import type { Tracing } from './sdk.js';

/** The tracing of a process that records nothing. */
export const TRACING_OFF: Tracing = {
  enabled: false,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** The variables a service's configuration has for tracing (see `baseServiceSchema`). */
export interface TracingConfig {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_TRACES_SAMPLER_ARG: number;
}

const EXPORT_WARNING_INTERVAL_MS = 60_000;

/**
 * Starts a service's tracing from its configuration. A failed export is counted (`onExportError`)
 * and logged as a warning at most once a minute with the number of failures since, so a trace
 * backend that is down neither fails requests nor floods the log.
 */
export async function startServiceTracing(options: {
  service: string;
  config: TracingConfig;
  logger: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  onExportError?: () => void;
}): Promise<Tracing> {
  const { config, logger } = options;
  // Without an endpoint the SDK and the exporter are not even loaded (about 8 MiB and 150 ms).
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return TRACING_OFF;
  const { startTracing } = await import('./sdk.js');
  let failures = 0;
  let lastWarning = -Infinity;
  const tracing = startTracing({
    serviceName: options.service,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    sampleRatio: config.OTEL_TRACES_SAMPLER_ARG,
    onExportError: (error) => {
      options.onExportError?.();
      failures += 1;
      const now = Date.now();
      if (now - lastWarning < EXPORT_WARNING_INTERVAL_MS) return;
      lastWarning = now;
      logger.warn(
        { err: error, failures, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
        'Spans could not be sent to the trace backend; they are dropped and the service carries on',
      );
      failures = 0;
    },
  });
  if (tracing.enabled) {
    logger.info(
      { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, sampleRatio: config.OTEL_TRACES_SAMPLER_ARG },
      'Tracing on: spans are sent over OTLP',
    );
  }
  return tracing;
}
