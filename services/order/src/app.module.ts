import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { serviceInfrastructure } from '@mercato/service-kit';
import type { OrderConfig } from './order.config.js';
import { SERVICE_NAME } from './order.constants.js';
import { OrdersModule } from './orders/orders.module.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Wiring of the order service. */
@Module({})
export class AppModule {
  static forRoot(config: OrderConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure({
          name: SERVICE_NAME,
          config,
          migrationsDir: MIGRATIONS_DIR,
          publishesEvents: true,
        }),
        OrdersModule,
      ],
    };
  }
}
