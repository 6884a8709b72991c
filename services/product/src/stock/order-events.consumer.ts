import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import type { Database } from '@mercato/db';
import { GrpcError } from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { PermanentEventError, type MessagingClient } from '@mercato/messaging';
import {
  ConsumerRegistry,
  DATABASE,
  LOGGER,
  MESSAGING,
  METRICS,
  SERVICE_CONFIG,
} from '@mercato/service-kit';
import type { Registry } from 'prom-client';
import type { ProductConfig } from '../product.config.js';
import { StockService, type ReservationRecord } from './stock.service.js';

/**
 * Consumes `orders`: a paid order's reservation becomes a sale, a cancelled order's reservation
 * returns to the shelf, a refunded sale is restocked. Each step is idempotent by the reservation's
 * state, so a redelivered event moves no stock twice.
 */
@Injectable()
export class OrderEventsConsumer implements OnModuleInit {
  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    private readonly registry: ConsumerRegistry,
    private readonly stock: StockService,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SERVICE_CONFIG) private readonly config: ProductConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  onModuleInit(): void {
    this.registry.add(
      this.messaging.createConsumer({
        groupId: CONSUMER_GROUPS.product,
        topics: [TOPICS.orders],
        eventTypes: ['order.paid.v1', 'order.cancelled.v1', 'order.refunded.v1'],
        db: this.db,
        maxAttempts: this.config.CONSUMER_MAX_ATTEMPTS,
        logger: this.logger,
        registry: this.metrics,
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
      }),
    );
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
