import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { ProductServiceClient } from '@mercato/contracts/product';
import { Backend, CircuitBreaker, type GatewayConfig } from '@mercato/gateway-service';
import { GrpcError, type PromiseClient } from '@mercato/grpc';
import type { CatalogGrpcController } from '@mercato/product-service';

/** The product API as the gateway calls it, minus the channel plumbing (`raw`, `close`). */
type ProductCalls = Omit<PromiseClient<ProductServiceClient>, 'raw' | 'close'>;

/**
 * A gRPC failure as a grpc-js client reports it, so the gateway maps an in-process NOT_FOUND
 * exactly like one that came over the wire.
 */
function asServiceError(error: GrpcError): Error {
  const { code, details, metadata } = error.toStatus();
  return Object.assign(new Error(`${code} ${status[code!]}: ${details}`), {
    code,
    details,
    metadata: metadata ?? new Metadata(),
  }) satisfies Partial<ServiceError>;
}

const unimplemented = (method: string) => () =>
  Promise.reject(
    asServiceError(new GrpcError(status.UNIMPLEMENTED, `${method} is not served in-process`)),
  );

/**
 * A product client that calls the product service's catalog handlers in this process instead of
 * over gRPC: what the gateway's product route costs without serialisation and the network hop.
 * The gateway only reads the catalog; the stock methods (the order service's) and the operator's
 * SetProductPrice are not served.
 */
export function inProcessProductClient(
  catalog: CatalogGrpcController,
): PromiseClient<ProductServiceClient> {
  const call =
    <Request, Response>(handler: (request: Request) => Promise<Response>) =>
    async (request: Request): Promise<Response> => {
      try {
        return await handler(request);
      } catch (error) {
        throw error instanceof GrpcError ? asServiceError(error) : error;
      }
    };
  const calls: ProductCalls = {
    listProducts: call((request) => catalog.listProducts(request)),
    listCategories: call(() => catalog.listCategories()),
    getProduct: call((request) => catalog.getProduct(request)),
    getProducts: call((request) => catalog.getProducts(request)),
    reserveStock: unimplemented('ReserveStock'),
    releaseStock: unimplemented('ReleaseStock'),
    commitStock: unimplemented('CommitStock'),
    setProductPrice: unimplemented('SetProductPrice'),
  };
  return {
    ...calls,
    get raw(): ProductServiceClient {
      throw new Error('the in-process product client has no gRPC channel');
    },
    close: () => undefined,
  };
}

/** The gateway's product backend (with its circuit breaker) over the in-process client. */
export class InProcessProductBackend extends Backend<ProductServiceClient> {
  constructor(
    catalog: CatalogGrpcController,
    config: Pick<GatewayConfig, 'BREAKER_FAILURE_THRESHOLD' | 'BREAKER_COOL_DOWN'>,
  ) {
    super(
      'product',
      inProcessProductClient(catalog),
      new CircuitBreaker('product', {
        failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
        coolDownMs: config.BREAKER_COOL_DOWN,
      }),
    );
  }

  /** Always reachable: there is no connection to wait for. */
  override async check(): Promise<void> {}
}
