import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { MESSAGING_MIGRATIONS } from '@mercato/messaging';
import { DatabaseModule, MessagingModule } from '@mercato/service-kit';
import { CatalogModule } from './catalog/catalog.module.js';
import type { ProductConfig } from './product.config.js';
import { SERVICE_NAME } from './product.constants.js';
import { StockModule } from './stock/stock.module.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Wiring of the product service. */
@Module({})
export class AppModule {
  static forRoot(config: ProductConfig): DynamicModule {
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
        }),
        CatalogModule,
        StockModule,
      ],
    };
  }
}
