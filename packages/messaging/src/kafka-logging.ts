import { type Logger } from '@mercato/logger';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';

/**
 * kafkajs warns about this on every idempotent producer whose retries are finite. Ours are finite on
 * purpose: the outbox relay retries a failed batch itself, so a send must fail in bounded time
 * (a clean shutdown waits for it) instead of retrying forever inside kafkajs.
 */
const EXPECTED_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/** The kafkajs log level matching the most verbose level the pino logger writes. */
export function kafkajsLogLevel(logger: Logger): logLevel {
  if (logger.isLevelEnabled('debug')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('info')) return logLevel.INFO;
  if (logger.isLevelEnabled('warn')) return logLevel.WARN;
  if (logger.isLevelEnabled('error')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

/** Sends kafkajs's log lines to the service's pino logger, as `component: "kafkajs"` lines. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _kafkaLogger, ...details } = log;
      const fields = { kafkaNamespace: namespace, ...details };
      if (EXPECTED_WARNINGS.has(message)) {
        kafkaLogger.debug(fields, message);
        return;
      }
      // An error response to one request ("coordinator is loading", "group is rebalancing") is
      // retried by kafkajs itself; if it gives up, the caller gets the error and logs it. So the
      // per-request line is a warning, not an error an operator must act on.
      const retriedResponse = namespace === 'Connection' && message.startsWith('Response ');
      switch (retriedResponse && level === logLevel.ERROR ? logLevel.WARN : level) {
        case logLevel.ERROR:
          kafkaLogger.error(fields, message);
          break;
        case logLevel.WARN:
          kafkaLogger.warn(fields, message);
          break;
        case logLevel.INFO:
          kafkaLogger.info(fields, message);
          break;
        default:
          kafkaLogger.debug(fields, message);
      }
    };
}
