import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GRPC_SERVICES } from '@mercato/contracts';
import { PaymentServiceClient } from '@mercato/contracts/payment';
import { ProductServiceClient } from '@mercato/contracts/product';
import { createClient, type PromiseClient } from '@mercato/grpc';
import type { Health } from '@mercato/health';
import { grpcClientMetricsInterceptor } from '@mercato/metrics';
import {
  correlationClientInterceptor,
  HEALTH,
  METRICS,
  SERVICE_CONFIG,
} from '@mercato/service-kit';
import type { Registry } from 'prom-client';
import { PAYMENT_CLIENT, PRODUCT_CLIENT } from './order.constants.js';
import type { OrderConfig } from './order.config.js';

class ClientsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(PRODUCT_CLIENT) private readonly product: PromiseClient<ProductServiceClient>,
    @Inject(PAYMENT_CLIENT) private readonly payment: PromiseClient<PaymentServiceClient>,
  ) {}

  onApplicationShutdown(): void {
    this.product.close();
    this.payment.close();
  }
}

/**
 * The clients of the product service (prices, stock) and the payment service (refunds): a deadline
 * on every call, retries for idempotent reads only, round-robin over every configured address,
 * metrics and correlation metadata. The product service's reachability shows on /health/ready but
 * is not critical: orders can still be read while it is down.
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
            // ReserveStock too: it is idempotent by order id (the same lines again answer the
            // reservation already made), so a call lost to UNAVAILABLE can be sent again.
            methods: ['GetProduct', 'GetProducts', 'ListProducts', 'ReserveStock'],
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
    {
      provide: PAYMENT_CLIENT,
      inject: [SERVICE_CONFIG, METRICS],
      useFactory: (config: OrderConfig, metrics: Registry) =>
        createClient(PaymentServiceClient, {
          addresses: config.PAYMENT_SERVICE_ADDRESSES,
          defaultDeadlineMs: config.PAYMENT_CALL_TIMEOUT,
          retry: { service: GRPC_SERVICES.payment, methods: ['GetPayment', 'RefundPayment'] },
          interceptors: [correlationClientInterceptor(), grpcClientMetricsInterceptor(metrics)],
        }),
    },
    ClientsCloser,
  ],
  exports: [PRODUCT_CLIENT, PAYMENT_CLIENT],
})
export class DownstreamClientsModule {}
