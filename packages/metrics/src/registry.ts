import { collectDefaultMetrics, Registry } from 'prom-client';

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Value of the `service` label put on every series, e.g. `order`. */
  service: string;
  /** Registry to use instead of a new one. */
  registry?: Registry;
  /** Collect prom-client's process and Node.js runtime metrics. Default: true. */
  defaultMetrics?: boolean;
}

// prom-client exports these as gauges named `*_total`, which promtool rejects (only counters may
// end in `_total`). They repeat information: each equals the sum of the same metric without the
// suffix over its `type` label, e.g. sum(nodejs_active_handles).
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const DEFAULT_METRIC_PROBE = 'process_cpu_user_seconds_total';

/** Creates the registry of one service: a `service` label on every series and the default process metrics. */
export function createMetrics(options: MetricsOptions): Registry {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ service: options.service });
  if ((options.defaultMetrics ?? true) && !registry.getSingleMetric(DEFAULT_METRIC_PROBE)) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  }
  return registry;
}
