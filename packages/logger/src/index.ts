export type { DestinationStream, LevelWithSilent, Logger } from 'pino';
export { createLogger, type CreateLoggerOptions } from './create-logger.js';
export { lineSink, type LineSink } from './line-sink.js';
export { getLogContext, type LogContext, runWithLogContext, withContext } from './log-context.js';
export {
  maskCardNumbers,
  passesLuhn,
  REDACT_PATHS,
  REDACTED,
  redactSensitiveFields,
  SENSITIVE_FIELD_NAMES,
} from './redaction.js';
export {
  isSampled,
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  traceFields,
  type TraceParent,
} from './trace-context.js';
