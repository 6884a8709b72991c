import { createHash } from 'node:crypto';

/** A serialized catalog response, ready to send again. */
export interface CachedResponse {
  /** The JSON body, exactly as first sent. */
  body: Buffer;
  /** Strong validator of `body`: a quoted hash of its bytes. */
  etag: string;
  storedAt: number;
}

/** The strong ETag of a body: the same bytes always get the same tag, other bytes another one. */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Options of a catalog cache. */
export interface CatalogCacheOptions {
  /** Longest an entry is served without any change event evicting it. */
  maxAgeMs: number;
  /** Entries kept at most; the oldest is dropped first. */
  maxEntries: number;
  now?: () => number;
}

/** A token taken before a backend read; the read's result may be stored only with it. */
export interface FillTicket {
  readonly epoch: number;
}

/** Counts of what the cache did, for metrics. */
export interface CatalogCacheCounters {
  onEvict?(scope: 'product' | 'all'): void;
}

const PRODUCT_KEY_PREFIX = 'product:';

/**
 * The gateway's in-memory cache of catalog responses (a product, a page of products, the
 * categories). It is only trusted while a change feed is live: `setLive(false)` empties it and
 * refuses fills until the feed is live again.
 *
 * Staleness is ruled out by two rules. (1) Every change evicts: a product's entry and every list
 * (lists show stock and prices too). (2) A fill races with evictions — a backend read that started
 * before a change can return after the change's eviction — so a read takes a {@link FillTicket}
 * first, and its result is stored only if no eviction happened since.
 */
export class CatalogCache {
  // Products by product key; everything else (pages, categories) apart, so that a change, which
  // must drop every list, drops them in one step.
  readonly #products = new Map<string, CachedResponse>();
  readonly #lists = new Map<string, CachedResponse>();
  readonly #options: Required<Omit<CatalogCacheOptions, 'now'>> & { now: () => number };
  readonly #counters: CatalogCacheCounters;
  #epoch = 0;
  #live = false;

  constructor(options: CatalogCacheOptions, counters: CatalogCacheCounters = {}) {
    this.#options = { now: Date.now, ...options };
    this.#counters = counters;
  }

  /** Whether the cache serves and stores (its change feed is live). */
  get live(): boolean {
    return this.#live;
  }

  /** Entries held now. */
  get size(): number {
    return this.#products.size + this.#lists.size;
  }

  #mapOf(key: string): Map<string, CachedResponse> {
    return key.startsWith(PRODUCT_KEY_PREFIX) ? this.#products : this.#lists;
  }

  /** Trust the cache (the feed is live) or stop trusting it (emptied; fills refused). */
  setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#clear();
  }

  /** The key of a product's entry (others are free-form: a list's query, `categories`). */
  static productKey(productId: string): string {
    return PRODUCT_KEY_PREFIX + productId;
  }

  /** A fresh entry, or undefined (missing, too old, or the cache is not live). */
  get(key: string): CachedResponse | undefined {
    if (!this.#live) return undefined;
    const entries = this.#mapOf(key);
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#options.now() - entry.storedAt >= this.#options.maxAgeMs) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Taken before the backend read whose result will be offered to {@link store}. */
  ticket(): FillTicket {
    return { epoch: this.#epoch };
  }

  /**
   * Stores a response read with `ticket`, unless the cache is not live or anything was evicted
   * since the ticket was taken (the read may predate that change). Returns the entry either way,
   * so the caller sends the same bytes and ETag.
   */
  store(key: string, body: Buffer, ticket: FillTicket): CachedResponse {
    const entry: CachedResponse = { body, etag: strongEtag(body), storedAt: this.#options.now() };
    if (!this.#live || ticket.epoch !== this.#epoch) return entry;
    const entries = this.#mapOf(key);
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > this.#options.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return entry;
  }

  /** A product changed: its entry and every other entry (lists, categories) go. */
  evictProduct(productId: string): void {
    this.#epoch += 1;
    this.#products.delete(CatalogCache.productKey(productId));
    // Lists and categories can show any product, so they all go; other products' entries stay.
    this.#lists.clear();
    this.#counters.onEvict?.('product');
  }

  /** Something changed that cannot be pinned to a product (an unreadable event): everything goes. */
  evictAll(): void {
    this.#clear();
    this.#counters.onEvict?.('all');
  }

  #clear(): void {
    this.#epoch += 1;
    this.#products.clear();
    this.#lists.clear();
  }
}
