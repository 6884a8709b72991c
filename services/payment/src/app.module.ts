import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { MESSAGING_MIGRATIONS } from '@mercato/messaging';
import { DatabaseModule, MessagingModule } from '@mercato/service-kit';
import type { PaymentConfig } from './payment.config.js';
import { SERVICE_NAME } from './payment.constants.js';
import { PaymentsModule } from './payments/payments.module.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Wiring of the payment service. */
@Module({})
export class AppModule {
  static forRoot(config: PaymentConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          dataDir: config.DATA_DIR,
          migrationsDir: MIGRATIONS_DIR,
          extraMigrations: MESSAGING_MIGRATIONS,
        }),
        MessagingModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: SERVICE_NAME,
          namespace: config.KAFKA_NAMESPACE,
          outboxRelayLock: `${SERVICE_NAME}:outbox-relay`,
          outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL,
        }),
        PaymentsModule,
      ],
    };
  }
}
