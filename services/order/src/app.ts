import type { Logger } from '@mercato/logger';
import { startGrpcService, type RunningGrpcService } from '@mercato/service-kit';
import { AppModule } from './app.module.js';
import type { OrderConfig } from './order.config.js';
import { SERVICE_NAME } from './order.constants.js';

export { loadOrderConfig, orderConfigSchema, type OrderConfig } from './order.config.js';
/** The checkout saga's business metrics (dashboards and the deploy suite read their names). */
export { OrderMetrics } from './orders/order-metrics.js';

/** Starts the order service (main.ts and the integration tests share this). */
export function startOrderService(
  config: OrderConfig,
  options: { handleSignals?: boolean; logger?: Logger } = {},
): Promise<RunningGrpcService> {
  return startGrpcService({
    name: SERVICE_NAME,
    api: 'order',
    module: AppModule.forRoot(config),
    config,
    ...options,
  });
}
