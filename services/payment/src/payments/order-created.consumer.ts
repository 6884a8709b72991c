import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import { ConsumerRegistry } from '@mercato/service-kit';
import { PaymentsService } from './payments.service.js';

/** Consumes `orders` and charges every `order.created.v1` exactly once. */
@Injectable()
export class OrderCreatedConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly payments: PaymentsService,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: CONSUMER_GROUPS.payment,
      topics: [TOPICS.orders],
      eventTypes: ['order.created.v1'],
      // Idempotent on its own: an order that is no longer awaiting payment is not charged, the
      // provider sees one idempotency key per order, and the payment row (unique per order) is
      // written with the inbox row by context.insertOnce(). So no inbox look-up first.
      inboxPrecheck: false,
      handler: async (context) => {
        if (context.event.type === 'order.created.v1')
          await this.payments.onOrderCreated(context, context.event.data);
      },
    });
  }
}
