import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GRPC_SERVICES } from '@mercato/contracts';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient, type PromiseClient } from '@mercato/grpc';
import type { Health } from '@mercato/health';
import { grpcClientMetricsInterceptor } from '@mercato/metrics';
import type { Registry } from 'prom-client';
import {
  correlationClientInterceptor,
  HEALTH,
  METRICS,
  SERVICE_CONFIG,
} from '@mercato/service-kit';
import { PRODUCT_CLIENT } from '../order.constants.js';
import type { OrderConfig } from '../order.config.js';

class ProductClientCloser implements OnApplicationShutdown {
  constructor(
    @Inject(PRODUCT_CLIENT) private readonly client: PromiseClient<ProductServiceClient>,
  ) {}

  onApplicationShutdown(): void {
    this.client.close();
  }
}

/**
 * The client of the product service: a deadline on every call, retries for the idempotent reads
 * only, round-robin over every configured address, metrics and correlation metadata. Its
 * reachability is reported on /health/ready but is not critical: orders can still be read while
 * the product service is down.
 */
@Module({
  providers: [
    {
      provide: PRODUCT_CLIENT,
      inject: [SERVICE_CONFIG, METRICS, HEALTH],
      useFactory: (config: OrderConfig, metrics: Registry, health: Health) => {
        const client = createClient(ProductServiceClient, {
          addresses: config.PRODUCT_SERVICE_ADDRESSES,
          defaultDeadlineMs: config.PRODUCT_CALL_TIMEOUT,
          retry: {
            service: GRPC_SERVICES.product,
            methods: ['GetProduct', 'GetProducts', 'ListProducts'],
          },
          interceptors: [correlationClientInterceptor(), grpcClientMetricsInterceptor(metrics)],
        });
        health.registerCheck(
          'product-service',
          () => client.listCategories({}, { deadlineMs: 1_000 }),
          {
            timeoutMs: 1_500,
            critical: false,
          },
        );
        return client;
      },
    },
    ProductClientCloser,
  ],
  exports: [PRODUCT_CLIENT],
})
export class ProductClientModule {}
