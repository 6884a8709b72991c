import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger } from 'pino';

/** Correlation fields printed on log lines; other fields may be added. */
export interface LogContext {
  readonly requestId?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly [field: string]: unknown;
}

const logContextStorage = new AsyncLocalStorage<LogContext>();

function definedFields(context: LogContext): Record<string, unknown> {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined));
}

/**
 * How context fields are named on log lines: trace and span ids under OpenTelemetry's names for
 * log records (`trace_id`, `span_id`), so a log backend links a line to its trace. The
 * `traceparent` (and vendor `tracestate`) are only carried to callees: their ids are on the line.
 */
const LINE_NAMES: Readonly<Record<string, string | null>> = {
  traceId: 'trace_id',
  spanId: 'span_id',
  traceparent: null,
  tracestate: null,
};

function lineFields(context: LogContext): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(context)) {
    if (value === undefined) continue;
    const lineName = name in LINE_NAMES ? LINE_NAMES[name] : name;
    if (lineName !== null && lineName !== undefined) fields[lineName] = value;
  }
  return fields;
}

/** A child logger whose every line carries the given context fields (undefined ones are skipped). */
export function withContext(logger: Logger, context: LogContext): Logger {
  return logger.child(lineFields(context));
}

/**
 * Runs `fn` with `context` as the ambient log context: every line any Mercato logger writes
 * during `fn`, including in callbacks and awaited work it starts, carries these fields.
 * Nested calls add to (and override) the outer context.
 */
export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  const merged = Object.freeze({ ...logContextStorage.getStore(), ...definedFields(context) });
  return logContextStorage.run(merged, fn);
}

/** The ambient log context set by {@link runWithLogContext}, or `undefined` outside one. */
export function getLogContext(): LogContext | undefined {
  return logContextStorage.getStore();
}

// logger.bindings() parses the logger's serialised bindings on every call; a logger's bindings are
// fixed when it is made (Mercato never calls setBindings), so each logger's are read once.
const boundFieldsOf = new WeakMap<Logger, Readonly<Record<string, unknown>>>();
function boundFields(logger: Logger): Readonly<Record<string, unknown>> {
  let bound = boundFieldsOf.get(logger);
  if (bound === undefined) {
    bound = logger.bindings();
    boundFieldsOf.set(logger, bound);
  }
  return bound;
}

/**
 * pino `mixin` adding the ambient context to each line. Fields the logger is already bound to
 * (through `child`/{@link withContext}) are left out, so no line repeats a key.
 */
export function logContextMixin(_mergeObject: object, _level: number, logger: Logger): object {
  const context = logContextStorage.getStore();
  if (!context) return {};
  const bound = boundFields(logger);
  const fields: Record<string, unknown> = {};
  for (const name in context) {
    const lineName = name in LINE_NAMES ? LINE_NAMES[name] : name;
    if (lineName !== null && lineName !== undefined && !(lineName in bound)) {
      fields[lineName] = context[name];
    }
  }
  // pino merges the log call's own fields into this object, so it must be a fresh one.
  return fields;
}
