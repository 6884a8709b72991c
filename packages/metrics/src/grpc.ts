import { performance } from 'node:perf_hooks';
import {
  InterceptingCall,
  ListenerBuilder,
  RequesterBuilder,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { type Registry } from 'prom-client';
import { counter, histogram } from './instruments.js';

const LABEL_NAMES = ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'] as const;
type GrpcLabel = (typeof LABEL_NAMES)[number];

/** `grpc_type` label values, as go-grpc-prometheus names them so existing dashboards fit. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/**
 * grpc-js server interceptor recording `grpc_server_handled_total` and `grpc_server_handling_seconds`
 * by grpc_type, grpc_service, grpc_method and grpc_code (the status name, e.g. `OK`, `NOT_FOUND`).
 * Pass it as `new Server({ interceptors: [grpcServerMetricsInterceptor(registry)] })`.
 */
export function grpcServerMetricsInterceptor(registry: Registry): ServerInterceptor {
  const record = recorder(
    registry,
    'server',
    'RPCs completed on the server',
    'Time the server took to complete RPCs',
  );

  return (method, call) => {
    const finish = record(method.path, method.requestStream, method.responseStream);
    const listener = new ServerListenerBuilder()
      .withOnCancel(() => {
        // Best effort: a cancellation at or after the deadline is the deadline's doing.
        const deadline = call.getDeadline();
        const deadlinePassed = deadline !== Infinity && new Date(deadline).getTime() <= Date.now();
        finish(deadlinePassed ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED);
      })
      .build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        finish(status.code ?? GrpcStatus.UNKNOWN);
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

/**
 * grpc-js client interceptor recording `grpc_client_handled_total` and `grpc_client_handling_seconds`
 * with the same labels as the server side. Pass it in the client options: `{ interceptors: [...] }`.
 */
export function grpcClientMetricsInterceptor(registry: Registry): Interceptor {
  const record = recorder(
    registry,
    'client',
    'RPCs completed by this client',
    'Time RPCs made by this client took',
  );

  return (options, nextCall) => {
    const definition = options.method_definition;
    const finish = record(definition.path, definition.requestStream, definition.responseStream);
    const requester = new RequesterBuilder()
      .withStart((metadata, listener, next) => {
        next(
          metadata,
          new ListenerBuilder()
            .withOnReceiveStatus((status, nextStatus) => {
              finish(status.code);
              nextStatus(status);
            })
            .build(),
        );
      })
      .build();
    return new InterceptingCall(nextCall(options), requester);
  };
}

/** Splits `/package.Service/Method` into the service and method labels. */
export function parseMethodPath(path: string): { service: string; method: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return match ? { service: match[1]!, method: match[2]! } : { service: 'unknown', method: path };
}

function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream && responseStream) return 'bidi_stream';
  if (requestStream) return 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

function recorder(
  registry: Registry,
  side: 'server' | 'client',
  handledHelp: string,
  secondsHelp: string,
) {
  const handled = counter(
    registry,
    `grpc_${side}_handled_total`,
    `${handledHelp}, by status code.`,
    LABEL_NAMES,
  );
  const seconds = histogram(
    registry,
    `grpc_${side}_handling_seconds`,
    `${secondsHelp}, by status code.`,
    LABEL_NAMES,
  );

  return (path: string, requestStream: boolean, responseStream: boolean) => {
    const { service, method } = parseMethodPath(path);
    const startedAt = performance.now();
    let recorded = false;
    // A call can end through more than one path (status sent, then a late cancel); count it once.
    return (code: GrpcStatus): void => {
      if (recorded) return;
      recorded = true;
      const labels: Record<GrpcLabel, string> = {
        grpc_type: grpcType(requestStream, responseStream),
        grpc_service: service,
        grpc_method: method,
        grpc_code: GrpcStatus[code] ?? String(code),
      };
      handled.inc(labels);
      seconds.observe(labels, (performance.now() - startedAt) / 1000);
    };
  };
}
