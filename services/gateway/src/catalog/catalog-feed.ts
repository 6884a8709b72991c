import { TOPICS } from '@mercato/contracts';
import type { Logger } from '@mercato/logger';
import { createMessagingClient, type EventListener } from '@mercato/messaging';
import { gauge } from '@mercato/metrics';
import type { Registry } from 'prom-client';
import type { CatalogCache } from './catalog-cache.js';

/** The catalog change feed: Kafka's `products` topic, evicting the gateway's catalog cache. */
export interface CatalogFeed {
  /** Whether the cache is being kept fresh (and so may serve). */
  readonly live: boolean;
  /** Connects in the background, retrying until it is stopped; the cache serves once it is live. */
  start(): void;
  stop(): Promise<void>;
}

const RETRY_START_MS = 5_000;
// The feed retries by itself (every RETRY_START_MS) and must not hold up a shutdown while Kafka is
// away, so each Kafka request gives up after a few seconds instead of kafkajs' default ~35 s.
const FEED_KAFKA_RETRY = {
  initialRetryTime: 200,
  maxRetryTime: 1_000,
  retries: 3,
  factor: 0.2,
  multiplier: 2,
} as const;

/**
 * Keeps `cache` fresh from product.changed.v1 events: each evicts its product (and every list); an
 * unreadable record evicts everything; while the feed is not live (not yet joined, broker gone,
 * rebalancing) the cache neither serves nor stores. A broker outage therefore costs speed, never
 * freshness: catalog reads go to the product service as they would without a cache.
 */
export function createCatalogFeed(options: {
  brokers: readonly string[];
  namespace: string;
  cache: CatalogCache;
  logger: Logger;
  metrics: Registry;
}): CatalogFeed {
  const { cache, logger } = options;
  const liveGauge = gauge(
    options.metrics,
    'gateway_catalog_cache_live',
    '1 while the catalog change feed is live and the catalog cache serves, else 0.',
  );
  liveGauge.set(0);
  const messaging = createMessagingClient({
    brokers: options.brokers,
    clientId: 'gateway',
    namespace: options.namespace,
    logger,
    retry: FEED_KAFKA_RETRY,
  });
  let listener: EventListener | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    // The product service creates the topic as it publishes; the gateway may start first.
    await messaging.ensureTopics([{ topic: TOPICS.products }]);
    listener = messaging.createListener({
      groupPrefix: 'gateway-catalog',
      topics: [TOPICS.products],
      logger,
      onEvent: (event) => {
        if (event.type === 'product.changed.v1') cache.evictProduct(event.data.productId);
      },
      onInvalid: (error) => {
        logger.warn(
          { err: error },
          'unreadable record on the products topic; catalog cache emptied',
        );
        cache.evictAll();
      },
      onLiveChange: (live) => {
        cache.setLive(live);
        liveGauge.set(live ? 1 : 0);
      },
    });
    await listener.start();
  };

  const attempt = () => {
    if (stopped) return;
    connect().catch((error: unknown) => {
      logger.warn(
        { err: error, retryInMs: RETRY_START_MS },
        'catalog change feed could not start; catalog reads bypass the cache',
      );
      const failed = listener;
      listener = undefined;
      void failed?.stop().catch(() => undefined);
      retry = setTimeout(attempt, RETRY_START_MS);
      retry.unref();
    });
  };

  return {
    get live() {
      return listener?.live ?? false;
    },
    start: attempt,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      cache.setLive(false);
      liveGauge.set(0);
      await messaging.close();
    },
  };
}
