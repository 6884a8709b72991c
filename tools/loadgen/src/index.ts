export { runLoad, type LoadOptions } from './run-load.js';
export type { SettledOrder } from './journeys.js';
export type { Operation } from './http.js';
export type {
  JourneyCounts,
  LatencyName,
  LoadProgress,
  LoadSummary,
  OrderCounts,
  RequestCounts,
  StopReason,
} from './stats.js';
export {
  DEFAULT_MIX,
  JOURNEY_KINDS,
  PAYMENT_TOKENS,
  parseDuration,
  parseMix,
  parseWeights,
  paymentMixForDeclineRate,
  weightedPicker,
  type JourneyKind,
  type JourneyMix,
  type PaymentTokenMix,
} from './options.js';
export { LatencyRecorder, percentile, type LatencyStats } from './percentiles.js';
export { formatProgress, formatSummary, textTable } from './format.js';
export { parseCliArguments, runCli, type CliOutput } from './cli.js';
