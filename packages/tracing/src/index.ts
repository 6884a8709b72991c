export {
  SpanKind,
  SpanStatusCode,
  failSpan,
  inChildSpan,
  openSpan,
  spanLogContext,
  tracingActive,
  useTracer,
  type Attributes,
  type OpenSpan,
  type OpenSpanOptions,
  type Span,
} from './spans.js';
export {
  TRACEPARENT_METADATA,
  endRpcSpan,
  grpcServerTracingInterceptor,
  isServerError,
  rpcSpanOf,
} from './grpc.js';
export { sqlSpanName, tracedQuery } from './sql.js';
