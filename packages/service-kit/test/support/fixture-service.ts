import { fileURLToPath } from 'node:url';
import {
  Controller,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { loadConfig, type Config } from '@mercato/config';
import {
  ProductServiceClient,
  type GetProductRequest,
  type GetProductResponse,
} from '@mercato/contracts/product';
import type { Database } from '@mercato/db';
import { createClient, invalidArgument, notFound, type PromiseClient } from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { MESSAGING_MIGRATIONS } from '@mercato/messaging';
import {
  correlationClientInterceptor,
  DATABASE,
  DatabaseModule,
  grpcServiceSchema,
  LOGGER,
  MessagingRetentionModule,
  startGrpcService,
  type MessagingRetentionModuleOptions,
  type RunningGrpcService,
} from '../../src/index.js';

/** The fixture's schema: one table with one product. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../fixtures/migrations', import.meta.url));

/** Name the fixture service is started with (logs, metrics). */
export const FIXTURE_SERVICE = 'fixture-service';
/** The product the fixture migration inserts. */
export const LAMP = {
  id: 'prd_lamp',
  name: 'Brass Desk Lamp',
  priceMinor: 7900,
  currency: 'EUR',
} as const;
/** Ids with this prefix are looked up in the downstream catalog (a second gRPC server). */
export const REMOTE_PREFIX = 'remote_';
/** Asking for this id makes the handler fail with an unexpected error carrying this message. */
export const CRASHING_ID = 'prd_crash';
export const CRASH_MESSAGE = 'connection pool exhausted at db.internal:5432';

/** The client the fixture service calls its downstream catalog with; closed at shutdown. */
class DownstreamCatalog implements OnApplicationShutdown {
  readonly client: PromiseClient<ProductServiceClient>;

  constructor(address: string) {
    this.client = createClient(ProductServiceClient, {
      addresses: [address],
      defaultDeadlineMs: 5_000,
      interceptors: [correlationClientInterceptor()],
    });
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}

interface ProductRow {
  id: string;
  name: string;
  price_minor: number;
  currency: string;
}

/** GetProduct of mercato.product.v1.ProductService, with every way a handler can end. */
@Controller()
class FixtureProductController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly downstream: DownstreamCatalog,
  ) {}

  @GrpcMethod('ProductService', 'GetProduct')
  async getProduct({ id }: GetProductRequest): Promise<GetProductResponse> {
    this.logger.info({ productId: id }, 'GetProduct called');
    if (id === '') throw invalidArgument([{ field: 'id', description: 'must not be empty' }]);
    if (id === CRASHING_ID) throw new Error(CRASH_MESSAGE);
    if (id.startsWith(REMOTE_PREFIX)) return this.downstream.client.getProduct({ id });
    const { rows } = await this.db.query<ProductRow>(
      'SELECT id, name, price_minor, currency FROM fixture_products WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) throw notFound(`product ${id} does not exist`);
    return {
      product: {
        id: row.id,
        sku: '',
        name: row.name,
        description: '',
        category: '',
        price: { amountMinor: Number(row.price_minor), currency: row.currency },
        imageUrl: '',
        stockAvailable: 0,
        version: 1,
      },
    };
  }
}

/** A minimal service on the product API: PGlite in memory with one migration, one handler. */
@Module({})
class FixtureModule {
  static forRoot(downstreamAddress: string, migrationsDir: string): DynamicModule {
    return {
      module: FixtureModule,
      imports: [DatabaseModule.forRoot({ migrationsDir })],
      controllers: [FixtureProductController],
      providers: [
        { provide: DownstreamCatalog, useFactory: () => new DownstreamCatalog(downstreamAddress) },
      ],
    };
  }
}

/** The fixture's configuration: service-kit's own schema, loopback, free ports, no drain delay. */
export type FixtureConfig = Config<typeof grpcServiceSchema>;

/** Loads the fixture configuration from the given variables on top of test defaults. */
export function fixtureConfig(env: Record<string, string> = {}): FixtureConfig {
  return loadConfig(grpcServiceSchema, {
    name: FIXTURE_SERVICE,
    env: {
      HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      SHUTDOWN_DRAIN_DELAY: '0',
      SHUTDOWN_TIMEOUT: '5s',
      ...env,
    },
  });
}

/** Starts the fixture service with startGrpcService, writing its logs to `logger`. */
export function startFixtureService(options: {
  downstreamAddress: string;
  logger: Logger;
  env?: Record<string, string>;
  migrationsDir?: string;
}): Promise<RunningGrpcService> {
  return startGrpcService({
    name: FIXTURE_SERVICE,
    api: 'product',
    module: FixtureModule.forRoot(
      options.downstreamAddress,
      options.migrationsDir ?? MIGRATIONS_DIR,
    ),
    config: fixtureConfig(options.env),
    logger: options.logger,
  });
}

/** A service with no database and no handlers: start-up, health and shutdown alone, without PGlite's start time. */
@Module({})
class BareModule {}

/** Starts a bare service (no database, no handlers) with startGrpcService. */
export function startBareService(options: {
  logger: Logger;
  env?: Record<string, string>;
}): Promise<RunningGrpcService> {
  return startGrpcService({
    name: FIXTURE_SERVICE,
    api: 'product',
    module: BareModule,
    config: fixtureConfig(options.env),
    logger: options.logger,
  });
}

/** A service with the messaging tables and their retention sweep, without Kafka. */
@Module({})
class RetentionModule {
  static forRoot(retention: MessagingRetentionModuleOptions): DynamicModule {
    return {
      module: RetentionModule,
      imports: [
        DatabaseModule.forRoot({
          migrationsDir: MIGRATIONS_DIR,
          extraMigrations: MESSAGING_MIGRATIONS,
        }),
        MessagingRetentionModule.forRoot(retention),
      ],
    };
  }
}

/** Starts a service whose outbox and inbox (PGlite in memory) are swept with `retention`. */
export function startRetentionService(options: {
  logger: Logger;
  retention: MessagingRetentionModuleOptions;
}): Promise<RunningGrpcService> {
  return startGrpcService({
    name: FIXTURE_SERVICE,
    api: 'product',
    module: RetentionModule.forRoot(options.retention),
    config: fixtureConfig(),
    logger: options.logger,
  });
}
