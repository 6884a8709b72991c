import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import {
  createDatabase,
  loadMigrations,
  migrate,
  type Database,
  type Migration,
  type MigrationReport,
} from '@mercato/db';
import type { Health } from '@mercato/health';
import type { Logger } from '@mercato/logger';
import { DATABASE, HEALTH, LOGGER } from './service-kit.constants.js';

/** Where a service's data lives and how its schema is created. */
export interface DatabaseModuleOptions {
  /** PostgreSQL connection URL; without it the service runs on embedded PGlite. */
  url?: string;
  /** PGlite data directory (ignored with `url`); without either, data lives in memory. */
  dataDir?: string;
  /** Prepared statements on PostgreSQL (default true; see `DatabaseOptions.preparedStatements`). */
  preparedStatements?: boolean | undefined;
  /** Directory of the service's `NNN_name.sql` migrations, applied at start-up. */
  migrationsDir: string;
  /** Migrations shared packages own (e.g. the messaging outbox and inbox tables, versions 1001+). */
  extraMigrations?: readonly Migration[];
}

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Opens the service's database, applies its migrations before anything else starts, adds a
 * `database` readiness check, and closes it after the servers stopped (application shutdown).
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DATABASE,
          inject: [LOGGER, HEALTH],
          useFactory: async (logger: Logger, health: Health): Promise<Database> => {
            const db = await createDatabase({
              url: options.url,
              dataDir: options.dataDir,
              preparedStatements: options.preparedStatements,
              logger,
            });
            let applied: MigrationReport;
            try {
              applied = await migrate(db, [
                ...(await loadMigrations(options.migrationsDir)),
                ...(options.extraMigrations ?? []),
              ]);
            } catch (error) {
              // Start-up fails here, before Nest knows of the database, so nothing else would close it.
              await db.close();
              throw error;
            }
            logger.info({ database: db.kind, applied }, 'database ready');
            health.registerCheck('database', () => db.ping(), { timeoutMs: 2_000 });
            return db;
          },
        },
        DatabaseCloser,
      ],
      exports: [DATABASE],
    };
  }
}
