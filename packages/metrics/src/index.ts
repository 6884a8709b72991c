export { createMetrics, type MetricsOptions } from './registry.js';
export {
  counter,
  exportFailureCounter,
  gauge,
  memoryReductionCounter,
  histogram,
  DURATION_BUCKETS_SECONDS,
} from './instruments.js';
export {
  httpMetricsMiddleware,
  httpRequestRecorder,
  type HttpRequestRecorder,
  nameRoute,
  routeTemplate,
  UNMATCHED_ROUTE,
  CLIENT_CLOSED_REQUEST,
} from './http.js';
export {
  grpcServerMetricsInterceptor,
  grpcClientMetricsInterceptor,
  parseMethodPath,
  type GrpcType,
} from './grpc.js';
export {
  kafkaMetrics,
  STAGE_BUCKETS_SECONDS,
  type KafkaMetrics,
  type KafkaProcessingOutcome,
  type ConsumerLagPosition,
} from './kafka.js';
export { metricsHandler } from './handler.js';
export { FastCounter } from './fast-counter.js';
export { FastHistogram } from './fast-histogram.js';
export {
  histogramDelta,
  histogramQuantile,
  readHistogram,
  readSample,
  type HistogramReading,
} from './exposition.js';
