// Correlation across gRPC calls, importing only grpc-js and @mercato/logger: a process that calls
// the services (the gateway) imports it as `@mercato/service-kit/correlation` without loading
// NestJS, kafkajs or the database drivers that the package's barrel brings.
import { randomUUID } from 'node:crypto';
import {
  InterceptingCall,
  ListenerBuilder,
  status as GrpcStatus,
  type Interceptor,
  type Metadata,
} from '@grpc/grpc-js';
import { getLogContext, parseTraceparent, traceFields } from '@mercato/logger';
import { SpanKind, endRpcSpan, openSpan, rpcSpanOf, tracingActive } from '@mercato/tracing';

/** Metadata keys that carry correlation through gRPC calls (W3C trace context + request id). */
export const CORRELATION_METADATA = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
} as const;

/** Reads request id and trace id from a call's metadata, creating a request id when absent. */
export function correlationFromMetadata(metadata: Metadata | undefined): {
  requestId: string;
  traceId?: string;
  spanId?: string;
  traceparent?: string;
} {
  const first = (key: string) => {
    const [value] = metadata?.get(key) ?? [];
    return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
  };
  return {
    requestId: first(CORRELATION_METADATA.requestId) ?? randomUUID(),
    ...traceFields(parseTraceparent(first(CORRELATION_METADATA.traceparent))),
  };
}

/**
 * A grpc-js client interceptor that forwards the current log context's request id and trace
 * context to the called service, so one request can be followed across every service's logs.
 * Inside a sampled trace it records the call as a CLIENT span, and the callee's server span
 * becomes that span's child.
 */
export function correlationClientInterceptor(): Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const context = getLogContext();
        if (
          typeof context?.requestId === 'string' &&
          metadata.get(CORRELATION_METADATA.requestId).length === 0
        ) {
          metadata.set(CORRELATION_METADATA.requestId, context.requestId);
        }
        if (metadata.get(CORRELATION_METADATA.traceparent).length > 0) {
          next(metadata, listener);
          return;
        }
        const rpc = tracingActive() ? rpcSpanOf(path) : undefined;
        const open =
          rpc &&
          openSpan(rpc.name, { kind: SpanKind.CLIENT, root: false, attributes: rpc.attributes });
        const traceparent = open?.traceparent ?? context?.traceparent;
        if (typeof traceparent === 'string') {
          metadata.set(CORRELATION_METADATA.traceparent, traceparent);
        }
        if (open === undefined) {
          next(metadata, listener);
          return;
        }
        next(
          metadata,
          new ListenerBuilder()
            .withOnReceiveStatus((status, nextStatus) => {
              endRpcSpan(
                open,
                status.code,
                status.details,
                (code) => code !== Number(GrpcStatus.OK),
              );
              nextStatus(status);
            })
            .build(),
        );
      },
    });
  };
}
