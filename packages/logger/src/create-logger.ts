import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';
import { logContextMixin } from './log-context.js';
import {
  maskCardNumbersInJson,
  REDACT_PATHS,
  REDACTED,
  redactSensitiveFields,
} from './redaction.js';

/** How `createLogger` builds a logger. */
export interface CreateLoggerOptions {
  /** Name of the service, printed on every line as `service`. */
  readonly service: string;
  /** Lowest level written; defaults to `info`. */
  readonly level?: LevelWithSilent;
  /**
   * Human-readable output through pino-pretty instead of JSON lines. Meant for development on a
   * terminal only; the caller decides (e.g. `config.LOG_PRETTY && process.stdout.isTTY`).
   */
  readonly pretty?: boolean;
  /** Where lines go; defaults to standard output. */
  readonly destination?: DestinationStream;
}

/**
 * The one logger factory of Mercato: JSON lines with an ISO `time`, a `level` label and the
 * `service` name; sensitive fields and card numbers redacted; the ambient log context
 * (`runWithLogContext`) added to every line.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const { service, level = 'info', pretty = false, destination } = options;
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logContextMixin,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSensitiveFields(bindings),
        log: (fields) => redactSensitiveFields(fields),
      },
      // The last line of defence: whatever path a card number took into the line (a message,
      // an error's stack, a URL), it is masked before the line is written.
      hooks: { streamWrite: maskCardNumbersInJson },
    },
    pretty ? pinoPretty({ destination: destination ?? 1, sync: true }) : destination,
  );
}
