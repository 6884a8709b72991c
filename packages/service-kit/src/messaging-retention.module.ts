import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Database } from '@mercato/db';
import type { Logger } from '@mercato/logger';
import { MessagingRetention } from '@mercato/messaging';
import type { Registry } from 'prom-client';
import { DATABASE, LOGGER, METRICS } from './service-kit.constants.js';

/** How long a service keeps its outbox and inbox rows, and how often it deletes expired ones. */
export interface MessagingRetentionModuleOptions {
  /** Advisory lock shared by the service's replicas, e.g. `order-service:messaging-retention`. */
  lockKey: string;
  /** Published outbox rows older than this are deleted (OUTBOX_RETENTION). */
  outboxRetentionMs: number;
  /** Inbox rows older than this are deleted; must exceed the topics' retention (INBOX_RETENTION). */
  inboxRetentionMs: number;
  /** Pause between sweeps (RETENTION_SWEEP_INTERVAL). */
  intervalMs: number;
}

// Declared before the class: its parameter decorators read it when the class is defined.
const RETENTION_OPTIONS = Symbol('RETENTION_OPTIONS');

class RetentionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly retention: MessagingRetention;

  constructor(
    @Inject(RETENTION_OPTIONS) options: MessagingRetentionModuleOptions,
    @Inject(DATABASE) db: Database,
    @Inject(LOGGER) logger: Logger,
    @Inject(METRICS) registry: Registry,
  ) {
    this.retention = new MessagingRetention({ ...options, db, logger, registry });
  }

  onApplicationBootstrap(): void {
    this.retention.start();
  }

  // Before application shutdown, so the sweep in flight ends before the database closes.
  async beforeApplicationShutdown(): Promise<void> {
    await this.retention.stop();
  }
}

/**
 * Deletes expired rows of the service's outbox and inbox (`MESSAGING_MIGRATIONS`) in the
 * background: a sweep at start-up, then every interval, on one replica at a time. Needs the
 * DatabaseModule; MessagingModule imports it for every service that uses Kafka.
 */
@Module({})
export class MessagingRetentionModule {
  static forRoot(options: MessagingRetentionModuleOptions): DynamicModule {
    return {
      module: MessagingRetentionModule,
      providers: [{ provide: RETENTION_OPTIONS, useValue: options }, RetentionLifecycle],
    };
  }
}
