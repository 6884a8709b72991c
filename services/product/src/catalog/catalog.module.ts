import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@mercato/logger';
import { LOGGER, SERVICE_CONFIG } from '@mercato/service-kit';
import type { ProductConfig } from '../product.config.js';
import { CatalogGrpcController } from './catalog.grpc.controller.js';
import { CatalogRepository } from './catalog.repository.js';
import { SEED_CATALOG } from './seed-catalog.js';

/** Catalog reads (listing, search, lookup) and the idempotent demo seed. */
@Module({
  controllers: [CatalogGrpcController],
  providers: [CatalogRepository],
  exports: [CatalogRepository],
})
export class CatalogModule implements OnApplicationBootstrap {
  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(SERVICE_CONFIG) private readonly config: ProductConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SEED_CATALOG) return;
    const stock = this.config.SEED_STOCK;
    const catalog =
      stock === undefined ? SEED_CATALOG : SEED_CATALOG.map((product) => ({ ...product, stock }));
    const added = await this.catalog.seed(catalog, this.config.CATALOG_CURRENCY);
    this.logger.info({ added, catalogSize: SEED_CATALOG.length }, 'demo catalog seeded');
  }
}
