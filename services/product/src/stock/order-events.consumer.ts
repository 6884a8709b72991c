import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import { GrpcError } from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { PermanentEventError } from '@mercato/messaging';
import { ConsumerRegistry, LOGGER } from '@mercato/service-kit';
import { StockService, type ReservationRecord } from './stock.service.js';

/**
 * Consumes `orders`: a paid order's reservation becomes a sale, a cancelled order's reservation
 * returns to the shelf, a refunded sale is restocked. Each step is idempotent by the reservation's
 * state, so a redelivered event moves no stock twice — and, since StockService publishes
 * `product.changed.v1` only for stock it moved, announces no change twice either.
 */
@Injectable()
export class OrderEventsConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly stock: StockService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: CONSUMER_GROUPS.product,
      topics: [TOPICS.orders],
      eventTypes: ['order.paid.v1', 'order.cancelled.v1', 'order.refunded.v1'],
      // Idempotent by the reservation's state (see above): no inbox look-up first.
      inboxPrecheck: false,
      handler: async ({ event }) => {
        switch (event.type) {
          case 'order.paid.v1':
            return this.apply(() => this.stock.commit(event.subject));
          case 'order.cancelled.v1':
            return this.apply(() => this.stock.release(event.subject), { missingIsDone: true });
          case 'order.refunded.v1':
            return this.apply(() => this.stock.restock(event.subject));
        }
      },
    });
  }

  /**
   * Runs one stock step. A reservation that does not exist is nothing to release (the order never
   * reserved); any other refusal can never succeed on a retry, so the event is parked on the DLQ.
   */
  private async apply(
    step: () => Promise<ReservationRecord>,
    options: { missingIsDone?: boolean } = {},
  ): Promise<void> {
    try {
      const reservation = await step();
      this.logger.info(
        { orderId: reservation.orderId, status: reservation.status },
        'stock updated from order event',
      );
    } catch (error) {
      if (!(error instanceof GrpcError)) throw error;
      if (error.code === status.NOT_FOUND && options.missingIsDone) return;
      throw new PermanentEventError(error.message);
    }
  }
}
