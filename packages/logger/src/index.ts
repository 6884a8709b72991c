export type { DestinationStream, LevelWithSilent, Logger } from 'pino';
export { createLogger, fixedShapeLogger, type CreateLoggerOptions } from './create-logger.js';
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
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  traceFields,
  type TraceParent,
} from './trace-context.js';
