import { fileURLToPath } from 'node:url';
import { Module, type DynamicModule } from '@nestjs/common';
import { serviceInfrastructure } from '@mercato/service-kit';
import { CatalogModule } from './catalog/catalog.module.js';
import type { ProductConfig } from './product.config.js';
import { SERVICE_NAME } from './product.constants.js';
import { StockModule } from './stock/stock.module.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Wiring of the product service: consumes order events, and publishes `product.changed.v1`
 * through its outbox (hence the outbox relay).
 */
@Module({})
export class AppModule {
  static forRoot(config: ProductConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure({
          name: SERVICE_NAME,
          config,
          migrationsDir: MIGRATIONS_DIR,
          publishesEvents: true,
        }),
        CatalogModule,
        StockModule,
      ],
    };
  }
}
