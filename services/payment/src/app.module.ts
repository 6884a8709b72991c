import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { serviceInfrastructure } from '@mercato/service-kit';
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
        ...serviceInfrastructure({
          name: SERVICE_NAME,
          config,
          migrationsDir: MIGRATIONS_DIR,
          publishesEvents: true,
        }),
        PaymentsModule,
      ],
    };
  }
}
