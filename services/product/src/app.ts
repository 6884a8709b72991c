import { startGrpcService, type RunningGrpcService } from '@mercato/service-kit';
import type { Logger } from '@mercato/logger';
import { AppModule } from './app.module.js';
import type { ProductConfig } from './product.config.js';
import { SERVICE_NAME } from './product.constants.js';

export { loadProductConfig, productConfigSchema, type ProductConfig } from './product.config.js';
/** The catalog's gRPC handlers, for a caller in the same process (the gateway benchmark). */
export { CatalogGrpcController } from './catalog/catalog.grpc.controller.js';

/** Starts the product service (main.ts and the integration tests share this). */
export function startProductService(
  config: ProductConfig,
  options: { handleSignals?: boolean; logger?: Logger } = {},
): Promise<RunningGrpcService> {
  return startGrpcService({
    name: SERVICE_NAME,
    api: 'product',
    module: AppModule.forRoot(config),
    config,
    ...options,
  });
}
