import { getLogContext, parseTraceparent, traceFields } from '@mercato/logger';

/** One Kafka header value as Kafka clients carry it: text, bytes, or several values under one name. */
export type HeaderValue = string | Buffer | readonly (string | Buffer)[];

/** Kafka record headers. */
export type MessageHeaders = Readonly<Record<string, HeaderValue | undefined>>;

/** Headers every event record carries besides its envelope (which is the record value). */
export const EVENT_HEADERS = {
  /** W3C trace context of the request that caused the event. */
  traceparent: 'traceparent',
  /** W3C vendor trace state, forwarded untouched when present. */
  tracestate: 'tracestate',
  /** The request id of the call that caused the event (same name as the HTTP/gRPC header). */
  requestId: 'x-request-id',
  /** The envelope's `type`, so tools can filter without parsing the value. */
  eventType: 'event-type',
  /** Always `application/json`: the value is the JSON event envelope. */
  contentType: 'content-type',
} as const;

/** Headers added to a dead-lettered record (its original headers are kept beside them). */
export const DEAD_LETTER_HEADERS = {
  /** The last error's message (truncated to 2 000 characters). */
  errorMessage: 'x-error-message',
  /** The last error's name, e.g. `InvalidEventError`, `PermanentEventError`, `Error`. */
  errorType: 'x-error-type',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  /** The consumer group that gave up: several groups read one topic and share its DLQ. */
  consumerGroup: 'x-consumer-group',
  /** How many times processing was attempted (1 for a message that could not even be parsed). */
  attempts: 'x-attempts',
  /** ISO 8601 time the message was dead-lettered. */
  failedAt: 'x-failed-at',
} as const;

const MAX_ERROR_MESSAGE_LENGTH = 2000;

/** The last value of header `name` as UTF-8 text, or undefined when absent. */
export function headerText(headers: MessageHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const last: string | Buffer | undefined =
    typeof value === 'string' || Buffer.isBuffer(value) ? value : value.at(-1);
  return last === undefined ? undefined : last.toString();
}

/** Every header as UTF-8 text (the last value where a name repeats). */
export function textHeaders(headers: MessageHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const value = headerText(headers, name);
    if (value !== undefined) text[name] = value;
  }
  return text;
}

/** The headers of a dead-letter record: the original ones plus where, why and when it failed. */
export function deadLetterHeaders(
  original: MessageHeaders | undefined,
  failure: {
    error: unknown;
    topic: string;
    partition: number;
    offset: string;
    consumerGroup: string;
    attempts: number;
    failedAt: Date;
  },
): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(original ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  const { name, message } = describeError(failure.error);
  return {
    ...headers,
    [DEAD_LETTER_HEADERS.errorMessage]: message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
    [DEAD_LETTER_HEADERS.errorType]: name,
    [DEAD_LETTER_HEADERS.originalTopic]: failure.topic,
    [DEAD_LETTER_HEADERS.originalPartition]: String(failure.partition),
    [DEAD_LETTER_HEADERS.originalOffset]: failure.offset,
    [DEAD_LETTER_HEADERS.consumerGroup]: failure.consumerGroup,
    [DEAD_LETTER_HEADERS.attempts]: String(failure.attempts),
    [DEAD_LETTER_HEADERS.failedAt]: failure.failedAt.toISOString(),
  };
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

/** The correlation headers of the ambient log context (set by the gRPC/HTTP layer for a request). */
export function correlationHeadersFromLogContext(): Record<string, string> {
  const context = getLogContext();
  const headers: Record<string, string> = {};
  if (typeof context?.traceparent === 'string')
    headers[EVENT_HEADERS.traceparent] = context.traceparent;
  if (typeof context?.tracestate === 'string')
    headers[EVENT_HEADERS.tracestate] = context.tracestate;
  if (typeof context?.requestId === 'string') headers[EVENT_HEADERS.requestId] = context.requestId;
  return headers;
}

/** The log context of a consumed record's correlation headers (invalid trace context is dropped). */
export function logContextFromHeaders(headers: MessageHeaders | undefined): {
  traceparent?: string;
  traceId?: string;
  spanId?: string;
  requestId?: string;
} {
  const requestId = headerText(headers, EVENT_HEADERS.requestId);
  return {
    ...traceFields(parseTraceparent(headerText(headers, EVENT_HEADERS.traceparent))),
    ...(requestId !== undefined && requestId.length <= 200 ? { requestId } : {}),
  };
}
