import { Module } from '@nestjs/common';
import { DownstreamClientsModule } from '../downstream-clients.module.js';
import { OrderMetrics } from './order-metrics.js';
import { OrdersGrpcController } from './orders.grpc.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';
import { PaymentEventsConsumer } from './payment-events.consumer.js';

/** Orders: the gRPC API, the use cases, their storage, and the saga's payment results. */
@Module({
  imports: [DownstreamClientsModule],
  controllers: [OrdersGrpcController],
  providers: [OrdersService, OrdersRepository, OrderMetrics, PaymentEventsConsumer],
  exports: [OrdersService],
})
export class OrdersModule {}
