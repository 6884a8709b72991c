import { Module } from '@nestjs/common';
import type { Database } from '@mercato/db';
import { DATABASE } from '@mercato/service-kit';
import { OrderClientModule } from '../order-client.module.js';
import { PAYMENT_PROVIDER } from '../payment.constants.js';
import { SimulatedPaymentProvider } from '../provider/simulated-payment-provider.js';
import { OrderCreatedConsumer } from './order-created.consumer.js';
import { PaymentsGrpcController } from './payments.grpc.controller.js';
import { PaymentsRepository } from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

/** Payments: charging in the saga, the gRPC API, and the (simulated) provider. */
@Module({
  imports: [OrderClientModule],
  controllers: [PaymentsGrpcController],
  providers: [
    PaymentsService,
    PaymentsRepository,
    OrderCreatedConsumer,
    {
      provide: PAYMENT_PROVIDER,
      inject: [DATABASE],
      useFactory: (db: Database) => new SimulatedPaymentProvider(db),
    },
  ],
})
export class PaymentsModule {}
