import { OrderServiceClient } from '@mercato/contracts/order';
import { PaymentServiceClient } from '@mercato/contracts/payment';
import { ProductServiceClient } from '@mercato/contracts/product';
import { GRPC_SERVICES } from '@mercato/contracts';
import { createClient, type PromiseClient } from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { counter, gauge, grpcClientMetricsInterceptor } from '@mercato/metrics';
import { correlationClientInterceptor } from '@mercato/service-kit/correlation';
import type { Client } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from '../gateway.config.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

/** Names of the services behind the gateway. */
export type BackendName = 'product' | 'order' | 'payment';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 };

// Calls that only read are safe to retry; CreateOrder and CancelOrder never are (the order
// service makes them idempotent, but a retried write still belongs to the client's decision).
const IDEMPOTENT_READS: Record<BackendName, readonly string[]> = {
  product: ['ListProducts', 'ListCategories', 'GetProduct', 'GetProducts'],
  order: ['GetOrder', 'ListOrders'],
  payment: ['GetPayment'],
};

// grpc-js backs off up to 120 s between reconnection attempts; a gateway must notice a restarted
// backend within seconds, not minutes.
const RECONNECT_BACKOFF = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** One backend: a single pooled client (one channel over all its addresses) behind a circuit breaker. */
export class Backend<C extends Client> {
  constructor(
    readonly name: BackendName,
    readonly client: PromiseClient<C>,
    readonly breaker: CircuitBreaker,
  ) {}

  /** Calls the backend through its circuit breaker. */
  call<T>(invoke: (client: PromiseClient<C>) => Promise<T>): Promise<T> {
    return this.breaker.run(() => invoke(this.client));
  }

  /**
   * Readiness detail: fails while the circuit is open, or when no connection can be made within
   * the signal's time.
   */
  async check(signal: AbortSignal): Promise<void> {
    if (this.breaker.state === 'open') throw new Error('circuit open');
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 1_000;
      this.client.raw.waitForReady(deadline, (error) => (error ? reject(error) : resolve()));
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
}

/** The three backends of the gateway. */
export interface Backends {
  product: Backend<ProductServiceClient>;
  order: Backend<OrderServiceClient>;
  payment: Backend<PaymentServiceClient>;
  /** Closes every channel. */
  close(): void;
}

type ClientConstructor<C> = new (...args: ConstructorParameters<typeof ProductServiceClient>) => C;

/** Creates one client per backend with deadlines, read retries, round-robin, correlation and metrics. */
export function createBackends(
  config: Pick<
    GatewayConfig,
    | 'PRODUCT_SERVICE_ADDRESSES'
    | 'ORDER_SERVICE_ADDRESSES'
    | 'PAYMENT_SERVICE_ADDRESSES'
    | 'BACKEND_CALL_TIMEOUT'
    | 'BACKEND_READ_ATTEMPTS'
    | 'BREAKER_FAILURE_THRESHOLD'
    | 'BREAKER_COOL_DOWN'
    | 'REQUEST_METRICS'
  >,
  metrics: Registry,
  logger: Logger,
): Backends {
  const breakerState = gauge(
    metrics,
    'gateway_circuit_breaker_state',
    'State of the circuit breaker of each backend: 0 closed, 1 open, 2 half-open.',
    ['backend'],
  );
  const transitions = counter(
    metrics,
    'gateway_circuit_breaker_transitions_total',
    'State changes of the circuit breaker of each backend.',
    ['backend', 'state'],
  );
  const clientMetrics = grpcClientMetricsInterceptor(metrics);

  const backend = <C extends Client>(
    name: BackendName,
    Constructor: ClientConstructor<C>,
    addresses: readonly string[],
  ): Backend<C> => {
    breakerState.set({ backend: name }, STATE_VALUE.closed);
    const breaker = new CircuitBreaker(name, {
      failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
      coolDownMs: config.BREAKER_COOL_DOWN,
      onStateChange: (state) => {
        breakerState.set({ backend: name }, STATE_VALUE[state]);
        transitions.inc({ backend: name, state });
        logger.warn({ backend: name, state }, `circuit of ${name} is ${state}`);
      },
    });
    const client = createClient(Constructor, {
      addresses,
      defaultDeadlineMs: config.BACKEND_CALL_TIMEOUT,
      interceptors: config.REQUEST_METRICS
        ? [correlationClientInterceptor(), clientMetrics]
        : [correlationClientInterceptor()],
      // gRPC retry policies need at least two attempts; one means "no retries".
      retry:
        config.BACKEND_READ_ATTEMPTS > 1
          ? {
              service: GRPC_SERVICES[name],
              methods: IDEMPOTENT_READS[name],
              maxAttempts: config.BACKEND_READ_ATTEMPTS,
            }
          : undefined,
      channelOptions: RECONNECT_BACKOFF,
    });
    return new Backend(name, client, breaker);
  };

  const product = backend('product', ProductServiceClient, config.PRODUCT_SERVICE_ADDRESSES);
  const order = backend('order', OrderServiceClient, config.ORDER_SERVICE_ADDRESSES);
  const payment = backend('payment', PaymentServiceClient, config.PAYMENT_SERVICE_ADDRESSES);
  return {
    product,
    order,
    payment,
    close() {
      for (const { client } of [product, order, payment]) client.close();
    },
  };
}
