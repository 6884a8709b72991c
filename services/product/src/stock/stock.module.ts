import { Module } from '@nestjs/common';
import { OrderEventsConsumer } from './order-events.consumer.js';
import { ReservationSweeper } from './reservation-sweeper.js';
import { StockGrpcController } from './stock.grpc.controller.js';
import { StockService } from './stock.service.js';

/** Per-order stock reservations: reserve, commit, release, expire. */
@Module({
  controllers: [StockGrpcController],
  providers: [StockService, ReservationSweeper, OrderEventsConsumer],
  exports: [StockService],
})
export class StockModule {}
