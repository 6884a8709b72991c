import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import type { Database } from '@mercato/db';
import type { Logger } from '@mercato/logger';
import type { MessagingClient } from '@mercato/messaging';
import {
  ConsumerRegistry,
  DATABASE,
  LOGGER,
  MESSAGING,
  METRICS,
  SERVICE_CONFIG,
} from '@mercato/service-kit';
import type { Registry } from 'prom-client';
import type { OrderConfig } from '../order.config.js';
import { OrdersService } from './orders.service.js';

/** Consumes `payments` and moves orders to PAID, CANCELLED or REFUNDED. */
@Injectable()
export class PaymentEventsConsumer implements OnModuleInit {
  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    private readonly registry: ConsumerRegistry,
    private readonly orders: OrdersService,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SERVICE_CONFIG) private readonly config: OrderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  onModuleInit(): void {
    this.registry.add(
      this.messaging.createConsumer({
        groupId: CONSUMER_GROUPS.order,
        topics: [TOPICS.payments],
        eventTypes: ['payment.succeeded.v1', 'payment.failed.v1', 'payment.refunded.v1'],
        db: this.db,
        maxAttempts: this.config.CONSUMER_MAX_ATTEMPTS,
        logger: this.logger,
        registry: this.metrics,
        handler: async (context) => {
          const { event } = context;
          switch (event.type) {
            case 'payment.succeeded.v1':
              return this.orders.onPaymentSucceeded(context, event.data);
            case 'payment.failed.v1':
              return this.orders.onPaymentFailed(context, event.data);
            case 'payment.refunded.v1':
              return this.orders.onPaymentRefunded(context, event.data);
          }
        },
      }),
    );
  }
}
