/** The logging surface this package needs; a pino logger satisfies it. */
export interface HealthLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Logger used when the caller passes none: this library must never print on its own. */
export const silentLogger: HealthLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Renders any thrown value as one short line, so reports and log lines stay small. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}

const MAX_ERROR_LENGTH = 200;
