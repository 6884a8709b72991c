import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GRPC_SERVICES } from '@mercato/contracts';
import { OrderServiceClient } from '@mercato/contracts/order';
import { createClient, type PromiseClient } from '@mercato/grpc';
import { grpcClientMetricsInterceptor } from '@mercato/metrics';
import { correlationClientInterceptor, METRICS, SERVICE_CONFIG } from '@mercato/service-kit';
import type { Registry } from 'prom-client';
import { ORDER_CLIENT } from './payment.constants.js';
import type { PaymentConfig } from './payment.config.js';

class OrderClientCloser implements OnApplicationShutdown {
  constructor(@Inject(ORDER_CLIENT) private readonly client: PromiseClient<OrderServiceClient>) {}

  onApplicationShutdown(): void {
    this.client.close();
  }
}

/** The client of the order service (verifies an order before it is charged). */
@Module({
  providers: [
    {
      provide: ORDER_CLIENT,
      inject: [SERVICE_CONFIG, METRICS],
      useFactory: (config: PaymentConfig, metrics: Registry) =>
        createClient(OrderServiceClient, {
          addresses: config.ORDER_SERVICE_ADDRESSES,
          defaultDeadlineMs: config.ORDER_CALL_TIMEOUT,
          retry: { service: GRPC_SERVICES.order, methods: ['GetOrder'] },
          interceptors: [correlationClientInterceptor(), grpcClientMetricsInterceptor(metrics)],
        }),
    },
    OrderClientCloser,
  ],
  exports: [ORDER_CLIENT],
})
export class OrderClientModule {}
