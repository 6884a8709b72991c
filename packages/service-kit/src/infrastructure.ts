import type { DynamicModule } from '@nestjs/common';
import { MESSAGING_MIGRATIONS } from '@mercato/messaging';
import { DatabaseModule } from './database.module.js';
import { MessagingModule } from './messaging.module.js';

/** The settings serviceInfrastructure reads (from serviceConfigSchema). */
export interface InfrastructureSettings {
  DATABASE_URL?: string | undefined;
  DATA_DIR?: string | undefined;
  DATABASE_PREPARED_STATEMENTS?: boolean;
  KAFKA_BROKERS: readonly string[];
  KAFKA_NAMESPACE: string;
  OUTBOX_POLL_INTERVAL: number;
  OUTBOX_RETENTION: number;
  INBOX_RETENTION: number;
  RETENTION_SWEEP_INTERVAL: number;
}

/**
 * A service's database (its migrations plus the messaging outbox and inbox tables) and Kafka
 * (with the outbox relay when the service publishes events, and the retention sweep of the outbox
 * and inbox), as the modules its AppModule imports.
 */
export function serviceInfrastructure(options: {
  name: string;
  config: InfrastructureSettings;
  migrationsDir: string;
  publishesEvents: boolean;
}): DynamicModule[] {
  const { config, name } = options;
  return [
    DatabaseModule.forRoot({
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      migrationsDir: options.migrationsDir,
      extraMigrations: MESSAGING_MIGRATIONS,
    }),
    MessagingModule.forRoot({
      brokers: config.KAFKA_BROKERS,
      clientId: name,
      namespace: config.KAFKA_NAMESPACE,
      retention: {
        lockKey: `${name}:messaging-retention`,
        outboxRetentionMs: config.OUTBOX_RETENTION,
        inboxRetentionMs: config.INBOX_RETENTION,
        intervalMs: config.RETENTION_SWEEP_INTERVAL,
      },
      ...(options.publishesEvents
        ? {
            outboxRelayLock: `${name}:outbox-relay`,
            outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL,
          }
        : {}),
    }),
  ];
}
