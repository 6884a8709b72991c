import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule } from '@mercato/service-kit';
import type { OrderConfig } from './order.config.js';
import { OrdersModule } from './orders/orders.module.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Wiring of the order service. */
@Module({})
export class AppModule {
  static forRoot(config: OrderConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          dataDir: config.DATA_DIR,
          migrationsDir: MIGRATIONS_DIR,
        }),
        OrdersModule,
      ],
    };
  }
}
