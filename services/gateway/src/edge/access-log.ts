import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { lineSink, type LogContext, type Logger } from '@mercato/logger';
import { routeTemplate } from '@mercato/metrics';

/** One finished (or abandoned) request, as the access log records it. */
export interface AccessRecord {
  context: LogContext | undefined;
  method: string;
  /** The path without the query string: search terms are the customer's business. */
  path: string;
  /** The route template (never the raw path). */
  route: string;
  /** The status sent, or undefined when the client went away first (logged as 499). */
  statusCode: number | undefined;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
}

/**
 * Writes access log lines in pino-http's shape (`req`, `res`, `responseTime`), carrying the
 * request's correlation. The access log writes a line for every request, so it serializes its
 * fixed fields itself and hands the line to the logger's destination ({@link lineSink}): none of
 * its values can hold a secret (method, path without query, route template, status, duration,
 * ids), and card numbers are still masked. The line is the one pino would write, with the time
 * and the duration of the moment the request was recorded, built within 10 ms of it.
 */
export function accessLogWriter(logger: Logger): (record: AccessRecord) => void {
  const sink = lineSink(logger);
  // The method and the route are a handful of known values; their JSON is made once each.
  const literals = new Map<string, string>();
  const literal = (value: string) => {
    let json = literals.get(value);
    if (json === undefined) {
      json = sink.text(value);
      if (literals.size < 1_000) literals.set(value, json);
    }
    return json;
  };
  // The line's fields, built when the sink builds its deferred lines; `endedAt` is when the
  // request was recorded (performance.now()).
  const fields = (
    { context, method, path, route, statusCode, startedAt }: AccessRecord,
    endedAt: number,
  ) => {
    // The request's correlation, as a child logger would bind it. The request id and the path may
    // come from the client, so they go through sink.text (card numbers masked); the trace and span
    // ids are hex by construction (drawn here, or a traceparent that parsed), so they are never
    // masked and go between quotes as they are.
    let text = '';
    if (context?.requestId !== undefined) text += `"requestId":${sink.text(context.requestId)},`;
    if (context?.traceId !== undefined) text += `"trace_id":"${context.traceId}",`;
    if (context?.spanId !== undefined) text += `"span_id":"${context.spanId}",`;
    return (
      text +
      `"req":{"method":${literal(method)},"url":${sink.text(path)},"route":${literal(route)}},` +
      `"res":{"statusCode":${statusCode ?? 499}},"responseTime":${Math.round(endedAt - startedAt)}`
    );
  };
  return (record) => {
    const status = record.statusCode ?? 499;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!sink.enabled(level)) return;
    // Built off the request's path, with the lines of other requests (LineSink.defer): the record
    // is a fresh object per request, and nothing changes it afterwards.
    sink.defer(
      level,
      record,
      fields,
      record.statusCode === undefined ? 'request aborted' : 'request completed',
    );
  };
}

/** One access log line per request (through `write`), when the response is done or abandoned. */
export function accessLog(write: (record: AccessRecord) => void): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    res.once('close', () => {
      write({
        context: res.locals.logContext as LogContext | undefined,
        method: req.method,
        path: req.path,
        route: routeTemplate(req),
        statusCode: res.writableFinished ? res.statusCode : undefined,
        startedAt,
      });
    });
    next();
  };
}
