import { baseServiceSchema, integer, port, z } from '@mercato/config';

/** Configuration every NestJS gRPC service shares; each service extends it. */
export const grpcServiceSchema = baseServiceSchema.extend({
  HOST: z
    .string()
    .min(1)
    .default('0.0.0.0')
    .describe('Interface the gRPC and HTTP servers bind to'),
  GRPC_PORT: port({ allowZero: true }).describe('Port of the gRPC server (0: any free port)'),
  // Port 0 as for GRPC_PORT, so tests can start several services side by side on free ports.
  HTTP_PORT: port({ allowZero: true })
    .default(8080)
    .describe('Port of the HTTP server with /health and /metrics (0: any free port)'),
  GRPC_MAX_MESSAGE_BYTES: integer({ min: 1024, max: 16 * 1024 * 1024 })
    .default(4 * 1024 * 1024)
    .describe('Largest gRPC request accepted; larger ones fail with RESOURCE_EXHAUSTED'),
});
