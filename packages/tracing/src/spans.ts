import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { getLogContext, isSampled, parseTraceparent, runWithLogContext } from '@mercato/logger';

export { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The tracer every Mercato layer records spans with, once {@link startTracing} has registered the
 * SDK; undefined before (and in processes that never trace), so each layer's "is tracing on?" is
 * one comparison and a process without tracing allocates nothing for it.
 */
let activeTracer: Tracer | undefined;

/** Sets (or, with undefined, clears) the tracer of this process; the SDK set-up calls it. */
export function useTracer(tracer: Tracer | undefined): void {
  activeTracer = tracer;
}

/** Whether this process records spans. */
export function tracingActive(): boolean {
  return activeTracer !== undefined;
}

/** A span in progress, with the trace context its work runs under and its callees are given. */
export interface OpenSpan {
  readonly span: Span;
  /** `00-<trace id>-<span id>-<flags>`: what outgoing calls and messages carry. */
  readonly traceparent: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

export interface OpenSpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /**
   * The parent's W3C `traceparent` (an incoming header, a stored outbox row's context). Omitted:
   * the ambient log context's trace (the request or message being handled).
   */
  parent?: string | undefined;
  /**
   * Whether this span may start a trace of its own when there is no parent: yes for entry points
   * (an HTTP request at the edge, a message with no trace context); no for what only means
   * something inside a trace (a query, an outgoing call), so background work — polls, probes,
   * retention — never floods the backend with one-span traces.
   */
  root: boolean;
  /** The span's start, when it began before the span could be opened (ms since the epoch). */
  startTime?: number;
}

/**
 * Opens a span, or returns undefined when there is none to record: tracing is off, there is no
 * parent and `root` is false, or the parent was not sampled (with parent-based sampling its
 * children never are, so the caller just passes the parent's context on unchanged).
 */
export function openSpan(name: string, options: OpenSpanOptions): OpenSpan | undefined {
  const tracer = activeTracer;
  if (tracer === undefined) return undefined;
  const parentHeader =
    'parent' in options ? options.parent : (getLogContext()?.traceparent as string | undefined);
  const parent = parseTraceparent(parentHeader);
  if (parent === undefined && !options.root) return undefined;
  if (parent !== undefined && !isSampled(parent)) return undefined;
  const context =
    parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
  const span = tracer.startSpan(
    name,
    {
      kind: options.kind,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
    context,
  );
  const { traceId, spanId, traceFlags } = span.spanContext();
  const sampled = (traceFlags & 1) === 1; // TraceFlags.SAMPLED
  return {
    span,
    traceId,
    spanId,
    sampled,
    traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`,
  };
}

/** The log-context fields of an open span: its lines carry its ids, its callees its traceparent. */
export function spanLogContext(open: OpenSpan): {
  traceparent: string;
  traceId: string;
  spanId: string;
} {
  return { traceparent: open.traceparent, traceId: open.traceId, spanId: open.spanId };
}

/** Marks a span failed: error status with the error's message, and the exception as an event. */
export function failSpan(span: Span, error: unknown, message?: string): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: message ?? (error instanceof Error ? error.message : String(error)),
  });
}

/**
 * Runs `fn` inside a child span of the ambient trace (none when there is no sampled trace: `fn` then
 * runs as it is). The span ends when `fn`'s promise settles, failed if it rejects; its work — log
 * lines, queries, calls, outbox rows — is recorded under it.
 */
export async function inChildSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  const open = openSpan(name, {
    kind: options.kind ?? SpanKind.INTERNAL,
    ...(options.attributes ? { attributes: options.attributes } : {}),
    root: false,
  });
  if (open === undefined) return fn(undefined);
  try {
    return await runWithLogContext(spanLogContext(open), () => fn(open.span));
  } catch (error) {
    failSpan(open.span, error);
    throw error;
  } finally {
    open.span.end();
  }
}
