import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_LOADER_OPTIONS } from '@mercato/contracts';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/**
 * What server reflection describes: the service's API and grpc.health.v1, so a client that knows
 * no generated code can discover and call both. Loaded apart from the handlers' definition
 * because that one camelCases field names (keepCase: false, for the generated TypeScript types)
 * and reflection would hand those renamed fields to every client — grpcurl's JSON, a dynamic
 * client's messages — instead of the names in the .proto.
 */
export function reflectionPackageDefinition(api: keyof typeof PROTO_FILES): PackageDefinition {
  return {
    ...loadSync(PROTO_FILES[api], { ...PROTO_LOADER_OPTIONS, keepCase: true }),
    ...loadSync(healthProtoPath, { keepCase: true }),
  };
}
