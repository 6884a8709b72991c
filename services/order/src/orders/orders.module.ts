import { Module } from '@nestjs/common';
import { OutboxRepository } from '../outbox/outbox.repository.js';
import { ProductClientModule } from '../product-client/product-client.module.js';
import { OrdersGrpcController } from './orders.grpc.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

/** Orders: the gRPC API, the use cases and their storage. */
@Module({
  imports: [ProductClientModule],
  controllers: [OrdersGrpcController],
  providers: [OrdersService, OrdersRepository, OutboxRepository],
  exports: [OrdersService],
})
export class OrdersModule {}
