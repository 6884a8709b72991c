import type { Logger } from '@mercato/logger';
import { startGrpcService, type RunningGrpcService } from '@mercato/service-kit';
import { AppModule } from './app.module.js';
import type { PaymentConfig } from './payment.config.js';
import { SERVICE_NAME } from './payment.constants.js';

export { loadPaymentConfig, paymentConfigSchema, type PaymentConfig } from './payment.config.js';

/** Starts the payment service (main.ts and the integration tests share this). */
export function startPaymentService(
  config: PaymentConfig,
  options: { handleSignals?: boolean; logger?: Logger } = {},
): Promise<RunningGrpcService> {
  return startGrpcService({
    name: SERVICE_NAME,
    api: 'payment',
    module: AppModule.forRoot(config),
    config,
    ...options,
  });
}
