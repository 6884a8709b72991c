import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { OrderEventsConsumer } from './order-events.consumer.js';
import { ReservationSweeper } from './reservation-sweeper.js';
import { StockGrpcController } from './stock.grpc.controller.js';
import { StockService } from './stock.service.js';

/** Per-order stock reservations: reserve, commit, release, expire. */
@Module({
  imports: [CatalogModule],
  controllers: [StockGrpcController],
  providers: [StockService, ReservationSweeper, OrderEventsConsumer],
  exports: [StockService],
})
export class StockModule {}
