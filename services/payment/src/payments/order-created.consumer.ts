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
import type { PaymentConfig } from '../payment.config.js';
import { PaymentsService } from './payments.service.js';

/** Consumes `orders` and charges every `order.created.v1` exactly once. */
@Injectable()
export class OrderCreatedConsumer implements OnModuleInit {
  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    private readonly registry: ConsumerRegistry,
    private readonly payments: PaymentsService,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SERVICE_CONFIG) private readonly config: PaymentConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  onModuleInit(): void {
    this.registry.add(
      this.messaging.createConsumer({
        groupId: CONSUMER_GROUPS.payment,
        topics: [TOPICS.orders],
        eventTypes: ['order.created.v1'],
        db: this.db,
        maxAttempts: this.config.CONSUMER_MAX_ATTEMPTS,
        logger: this.logger,
        registry: this.metrics,
        handler: async (context) => {
          if (context.event.type === 'order.created.v1')
            await this.payments.onOrderCreated(context, context.event.data);
        },
      }),
    );
  }
}
