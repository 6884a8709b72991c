import {
  credentials as grpcCredentials,
  InterceptingCall,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientUnaryCall,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** Per-call options of a promise client. */
export interface UnaryCallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
  metadata?: Metadata;
}

/** A generated grpc-js client's unary methods, returning promises. */
export type PromiseClient<C> = {
  [K in keyof C as C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<
    infer Req,
    infer Res
  >
    ? (request: Req, options?: UnaryCallOptions) => Promise<Res>
    : never;
} & { readonly raw: C; close(): void };

/** Options of createClient. */
export interface GrpcClientOptions {
  /** One or more `host:port` backends; several are balanced round-robin per call. */
  addresses: readonly string[];
  /** Deadline applied to every call that sets none (no call may wait forever). */
  defaultDeadlineMs: number;
  interceptors?: Interceptor[];
  credentials?: ChannelCredentials;
  /** Fully qualified service name and the methods that are safe to retry (idempotent reads). */
  retry?: { service: string; methods: readonly string[]; maxAttempts?: number };
  channelOptions?: ClientOptions;
}

type ClientConstructor<C> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ClientOptions,
) => C;

/**
 * The channel target for a list of backends: `dns:` for one name (Kubernetes services resolve to
 * many pods with a headless Service), `ipv4:a:1,b:2` for several literal addresses.
 */
export function channelTarget(addresses: readonly string[]): string {
  if (addresses.length === 0) throw new Error('a gRPC client needs at least one address');
  if (addresses.length === 1) return addresses[0]!;
  return `ipv4:${addresses.join(',')}`;
}

function serviceConfig(options: GrpcClientOptions): string {
  const config: Record<string, unknown> = { loadBalancingConfig: [{ round_robin: {} }] };
  if (options.retry) {
    config.methodConfig = [
      {
        name: options.retry.methods.map((method) => ({ service: options.retry!.service, method })),
        retryPolicy: {
          maxAttempts: options.retry.maxAttempts ?? 3,
          initialBackoff: '0.05s',
          maxBackoff: '0.5s',
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ];
  }
  return JSON.stringify(config);
}

/** An interceptor that gives every call without a deadline the default one. */
export function defaultDeadlineInterceptor(deadlineMs: number): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(
      nextCall(options.deadline ? options : { ...options, deadline: Date.now() + deadlineMs }),
    );
}

/**
 * Creates a generated grpc-js client with deadlines, round-robin balancing, optional retries of
 * idempotent methods, and a promise API (`await client.getProduct({ id })`).
 */
export function createClient<C extends Client>(
  Constructor: ClientConstructor<C>,
  options: GrpcClientOptions,
): PromiseClient<C> {
  const raw = new Constructor(
    channelTarget(options.addresses),
    options.credentials ?? grpcCredentials.createInsecure(),
    {
      ...options.channelOptions,
      'grpc.service_config': serviceConfig(options),
      'grpc.enable_retries': options.retry ? 1 : 0,
      'grpc.keepalive_time_ms': 30_000,
      // grpc-js backs off up to 120 s between reconnects; a replica that restarts (a rolling update,
      // a crash) is back within seconds and must get traffic again before its sibling goes down.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 2_000,
      interceptors: [
        defaultDeadlineInterceptor(options.defaultDeadlineMs),
        ...(options.interceptors ?? []),
      ],
    },
  );
  return new Proxy({} as PromiseClient<C>, {
    get(_target, property) {
      if (property === 'raw') return raw;
      if (property === 'close') return () => raw.close();
      const method = (raw as unknown as Record<PropertyKey, unknown>)[property];
      if (typeof method !== 'function') return undefined;
      return (request: unknown, callOptions: UnaryCallOptions = {}) =>
        new Promise((resolve, reject) => {
          const deadline =
            callOptions.deadlineMs === undefined ? undefined : Date.now() + callOptions.deadlineMs;
          (method as UnaryMethod<unknown, unknown>).call(
            raw,
            request,
            callOptions.metadata ?? new Metadata(),
            deadline ? { deadline } : {},
            (error, response) => (error ? reject(error) : resolve(response)),
          );
        });
    },
  });
}
