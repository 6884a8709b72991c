import { TOPICS } from '@mercato/contracts';
import type { Logger } from '@mercato/logger';
import { gauge } from '@mercato/metrics';
import type { Registry } from 'prom-client';
import { createEventFeed, type EventFeed } from '../feeds/event-feed.js';
import type { CatalogCache } from './catalog-cache.js';

/** The catalog change feed: Kafka's `products` topic, keeping the gateway's catalog cache fresh. */
export type CatalogFeed = EventFeed;

/**
 * Keeps `cache` fresh from product.changed.v1 events: each one's price and stock are applied to
 * every cached response showing the product (an event without a version evicts them); an
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
  return createEventFeed({
    brokers: options.brokers,
    namespace: options.namespace,
    name: 'catalog',
    topic: TOPICS.products,
    logger,
    onEvent: (event) => {
      if (event.type !== 'product.changed.v1') return;
      const { productId, version, price, stockAvailable } = event.data;
      if (version === undefined) cache.evictProduct(productId);
      else cache.apply({ productId, version, price, stockAvailable });
    },
    onInvalid: (error) => {
      logger.warn({ err: error }, 'unreadable record on the products topic; catalog cache emptied');
      cache.evictAll();
    },
    onLiveChange: (live) => {
      cache.setLive(live);
      liveGauge.set(live ? 1 : 0);
    },
  });
}
