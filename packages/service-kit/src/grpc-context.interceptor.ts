import { randomUUID } from 'node:crypto';
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { InterceptingCall, type Interceptor, type Metadata } from '@grpc/grpc-js';
import { getLogContext, parseTraceparent, runWithLogContext, traceFields } from '@mercato/logger';
import { Observable } from 'rxjs';

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
 * Runs every gRPC handler inside a log context built from the call's metadata, so each log line
 * the handler writes — and each outgoing call it makes — carries the caller's request and trace id.
 */
@Injectable()
export class GrpcContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const correlation = correlationFromMetadata(metadata);
    return new Observable((subscriber) =>
      runWithLogContext(correlation, () => next.handle().subscribe(subscriber)),
    );
  }
}

/**
 * A grpc-js client interceptor that forwards the current log context's request id and trace
 * context to the called service, so one request can be followed across every service's logs.
 */
export function correlationClientInterceptor(): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const context = getLogContext();
        if (
          typeof context?.requestId === 'string' &&
          metadata.get(CORRELATION_METADATA.requestId).length === 0
        ) {
          metadata.set(CORRELATION_METADATA.requestId, context.requestId);
        }
        if (
          typeof context?.traceparent === 'string' &&
          metadata.get(CORRELATION_METADATA.traceparent).length === 0
        ) {
          metadata.set(CORRELATION_METADATA.traceparent, context.traceparent);
        }
        next(metadata, listener);
      },
    });
}
