import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { openSpan, tracingActive, type OpenSpan } from './spans.js';

/** The metadata key of W3C trace context on gRPC calls. */
export const TRACEPARENT_METADATA = 'traceparent';

// Probes and tooling call these all day; a span per call would bury the shop's own traces.
const UNTRACED_SERVICES = ['/grpc.health.v1.', '/grpc.reflection.'];

/** Codes that mean the server failed (the rest are the caller's doing), as OpenTelemetry's gRPC conventions say. */
const SERVER_ERRORS = new Set<number>([
  GrpcStatus.UNKNOWN,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.UNIMPLEMENTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

const rpcSpans = new Map<string, { name: string; attributes: Attributes }>();

/**
 * The span name and attributes of a call to `path` (`/package.Service/Method`), worked out once
 * per method: a service has a handful.
 */
export function rpcSpanOf(path: string): { name: string; attributes: Attributes } {
  let known = rpcSpans.get(path);
  if (known === undefined) {
    known = describeRpc(path);
    rpcSpans.set(path, known);
  }
  return known;
}

function describeRpc(path: string): { name: string; attributes: Attributes } {
  const name = path.startsWith('/') ? path.slice(1) : path;
  const slash = name.lastIndexOf('/');
  return {
    name,
    attributes: {
      'rpc.system': 'grpc',
      'rpc.service': slash > 0 ? name.slice(0, slash) : name,
      'rpc.method': slash > 0 ? name.slice(slash + 1) : name,
    },
  };
}

/** Ends an RPC span with the call's status code; `isError` decides which codes fail the span. */
export function endRpcSpan(
  open: OpenSpan,
  code: number,
  details: string | undefined,
  isError: (code: number) => boolean,
): void {
  open.span.setAttribute('rpc.grpc.status_code', code);
  if (isError(code)) {
    open.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: `${GrpcStatus[code] ?? code}${details ? `: ${details}` : ''}`,
    });
  }
  open.span.end();
}

/** Whether a server-side status code fails the server's span. */
export const isServerError = (code: number): boolean => SERVER_ERRORS.has(code);

/**
 * A grpc-js server interceptor that records a SERVER span for each call, as a child of the
 * caller's `traceparent`, and replaces that metadata entry with the span's own context — so the
 * handler's log context (built from the metadata) and everything the handler does are under it.
 * Put it first in the server's interceptors.
 */
export function grpcServerTracingInterceptor(): ServerInterceptor {
  return (method, call) => {
    if (!tracingActive() || UNTRACED_SERVICES.some((prefix) => method.path.startsWith(prefix))) {
      return new ServerInterceptingCall(call);
    }
    let open: OpenSpan | undefined;
    let ended = false;
    const finish = (code: number, details?: string): void => {
      if (open === undefined || ended) return;
      ended = true;
      endRpcSpan(open, code, details, isServerError);
    };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const [parent] = metadata.get(TRACEPARENT_METADATA);
        const { name, attributes } = rpcSpanOf(method.path);
        open = openSpan(name, {
          kind: SpanKind.SERVER,
          parent: typeof parent === 'string' ? parent : undefined,
          root: true,
          attributes,
        });
        if (open !== undefined) metadata.set(TRACEPARENT_METADATA, open.traceparent);
        next(metadata);
      })
      .withOnCancel(() => finish(GrpcStatus.CANCELLED, 'cancelled by the client'))
      .build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        finish(status.code ?? GrpcStatus.UNKNOWN, status.details);
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
