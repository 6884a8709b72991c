import { createRequire } from 'node:module';
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';
import type pinoPrettyModule from 'pino-pretty';
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
  /**
   * Where lines go; defaults to standard output, written asynchronously: lines are buffered while
   * a write is in flight and written in one go, so a request never waits for the pipe. What is
   * buffered is flushed synchronously when the process exits (pino registers that); only a
   * SIGKILL can lose the last lines.
   */
  readonly destination?: DestinationStream;
}

const require = createRequire(import.meta.url);

// Loaded only when asked for: pino-pretty and its dependencies cost memory in every process,
// and production never uses it.
const prettyStream = (destination: DestinationStream | undefined): DestinationStream => {
  const pinoPretty = require('pino-pretty') as typeof pinoPrettyModule;
  return pinoPretty({ destination: destination ?? 1, sync: true });
};

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
    pretty
      ? prettyStream(destination)
      : (destination ?? pino.destination({ dest: 1, sync: false })),
  );
}
