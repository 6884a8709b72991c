import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CONSUMER_GROUPS, TOPICS } from '@mercato/contracts';
import { ConsumerRegistry } from '@mercato/service-kit';
import { OrdersService } from './orders.service.js';

/** Consumes `payments` and moves orders to PAID, CANCELLED or REFUNDED. */
@Injectable()
export class PaymentEventsConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly orders: OrdersService,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: CONSUMER_GROUPS.order,
      topics: [TOPICS.payments],
      eventTypes: ['payment.succeeded.v1', 'payment.failed.v1', 'payment.refunded.v1'],
      // Idempotent on its own: each state change is made in context.transaction() (a duplicate
      // rolls back), and the refund of a payment that reached a cancelled order is refused or
      // returned as done by the payment service the second time. So no inbox look-up first.
      inboxPrecheck: false,
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
    });
  }
}
