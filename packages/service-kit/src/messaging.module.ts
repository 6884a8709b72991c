import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ALL_TOPICS } from '@mercato/contracts';
import type { Database } from '@mercato/db';
import type { Health } from '@mercato/health';
import type { Logger } from '@mercato/logger';
import {
  createMessagingClient,
  OutboxRelay,
  type ConsumerOptions,
  type EventConsumer,
  type EventPublisher,
  type MessagingClient,
} from '@mercato/messaging';
import type { Registry } from 'prom-client';
import {
  MessagingRetentionModule,
  type MessagingRetentionModuleOptions,
} from './messaging-retention.module.js';
import {
  DATABASE,
  HEALTH,
  LOGGER,
  MESSAGING,
  METRICS,
  SERVICE_CONFIG,
} from './service-kit.constants.js';

/** How a service talks to Kafka. */
export interface MessagingModuleOptions {
  brokers: readonly string[];
  /** Kafka client id, e.g. the service name. */
  clientId: string;
  /** Prefix of every topic and consumer group (KAFKA_NAMESPACE); empty for none. */
  namespace?: string;
  /**
   * Run the outbox relay under this advisory-lock name: one replica publishes, the others wait
   * (services that produce events). Omit for consumers only.
   */
  outboxRelayLock?: string;
  outboxPollIntervalMs?: number;
  /** Retention of the outbox and the inbox: expired rows are deleted in the background. */
  retention: MessagingRetentionModuleOptions;
}

/**
 * Consumers a service starts register here, so they stop — finishing their in-flight message and
 * committing its offset — before the relay, the Kafka client and the database close.
 */
@Injectable()
export class ConsumerRegistry {
  readonly consumers: EventConsumer[] = [];

  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    @Inject(SERVICE_CONFIG) private readonly config: { CONSUMER_MAX_ATTEMPTS: number },
  ) {}

  /**
   * Creates a consumer of the service's database (inbox), logger, metrics and retry settings; it
   * starts with the application and stops before the database closes.
   */
  register(
    options: Pick<
      ConsumerOptions,
      'groupId' | 'topics' | 'eventTypes' | 'handler' | 'inboxPrecheck'
    >,
  ): EventConsumer {
    const consumer = this.messaging.createConsumer({
      ...options,
      db: this.db,
      maxAttempts: this.config.CONSUMER_MAX_ATTEMPTS,
      logger: this.logger,
      registry: this.registry,
    });
    this.consumers.push(consumer);
    return consumer;
  }
}

// Declared before the class: its parameter decorators read it when the class is defined.
const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private publisher: EventPublisher | undefined;
  private relay: OutboxRelay | undefined;

  constructor(
    @Inject(MESSAGING) private readonly client: MessagingClient,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    private readonly consumers: ConsumerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.consumers.consumers.map((consumer) => consumer.start()));
    if (!this.options.outboxRelayLock) return;
    this.publisher = this.client.createPublisher();
    await this.publisher.connect();
    this.relay = new OutboxRelay({
      db: this.db,
      publisher: this.publisher,
      lockKey: this.options.outboxRelayLock,
      pollIntervalMs: this.options.outboxPollIntervalMs,
      logger: this.logger,
      registry: this.registry,
    });
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.consumers.map((consumer) => consumer.stop()));
    await this.relay?.stop();
    await this.publisher?.disconnect();
    await this.client.close();
  }
}

/**
 * Kafka for a service: the client (topics provisioned at start-up), the outbox relay when the
 * service produces events, the lifecycle of the consumers its features register, and the
 * retention sweep of the outbox and inbox tables.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [MessagingRetentionModule.forRoot(options.retention)],
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        {
          provide: MESSAGING,
          inject: [LOGGER, METRICS, HEALTH],
          useFactory: async (
            logger: Logger,
            registry: Registry,
            health: Health,
          ): Promise<MessagingClient> => {
            const client = createMessagingClient({
              brokers: options.brokers,
              clientId: options.clientId,
              namespace: options.namespace,
              logger,
              registry,
            });
            await client.ensureTopics(ALL_TOPICS.map((topic) => ({ topic })));
            health.registerCheck('kafka', () => client.ensureTopics([]), {
              timeoutMs: 3_000,
              critical: false,
            });
            return client;
          },
        },
        ConsumerRegistry,
        MessagingLifecycle,
      ],
      exports: [MESSAGING, ConsumerRegistry],
    };
  }
}
