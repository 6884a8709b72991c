import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** Directory holding the .proto files (shipped with the package; the only copy in the repo). */
export const PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));

/** Proto files, relative to PROTO_ROOT, of every Mercato gRPC API. */
export const PROTO_FILES = {
  product: 'mercato/product/v1/product.proto',
  order: 'mercato/order/v1/order.proto',
  payment: 'mercato/payment/v1/payment.proto',
} as const;

/** Fully qualified gRPC service names, as used by health checking and reflection. */
export const GRPC_SERVICES = {
  product: 'mercato.product.v1.ProductService',
  order: 'mercato.order.v1.OrderService',
  payment: 'mercato.payment.v1.PaymentService',
} as const;

/**
 * How servers load protos at run time. Chosen to produce exactly the shapes the generated
 * ts-proto types describe: camelCase fields, enums as their names, int64 as number, defaults
 * filled in. Change these only together with buf.gen.yaml.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** Loads the package definition of the given APIs (for servers and server reflection). */
export function loadPackageDefinition(
  apis: ReadonlyArray<keyof typeof PROTO_FILES>,
): PackageDefinition {
  return loadSync(
    apis.map((api) => PROTO_FILES[api]),
    PROTO_LOADER_OPTIONS,
  );
}

/**
 * Default ports of each service: gRPC for service-to-service calls, HTTP for the gateway's API
 * and every service's /health and /metrics. Configuration defaults and manifests derive from these.
 */
export const DEFAULT_PORTS = {
  gateway: { http: 8080 },
  product: { grpc: 50051, http: 8081 },
  order: { grpc: 50052, http: 8082 },
  payment: { grpc: 50053, http: 8083 },
} as const;
