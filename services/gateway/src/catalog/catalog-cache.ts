import { createHash } from 'node:crypto';

/** A serialized catalog response, ready to send again. */
export interface CachedResponse {
  /** The JSON body, exactly as sent. */
  body: Buffer;
  /** Strong validator of `body`: a quoted hash of its bytes. */
  etag: string;
}

/** The strong ETag of a body: the same bytes always get the same tag, other bytes another one. */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** A price as the catalog's responses show it. */
export interface CatalogPrice {
  amountMinor: number;
  currency: string;
}

/** What of a product changes while it is cached: the fields of its view that a change rewrites. */
export interface CatalogProductView {
  price: CatalogPrice;
  stockAvailable: number;
}

/**
 * A product inside a response offered to the cache: its view (the very object inside the response
 * body, which a later change rewrites in place) and the version it was read at.
 */
export interface CatalogItem {
  productId: string;
  version: number;
  view: CatalogProductView;
}

/** A product as a change left it: what product.changed.v1 or an order's reservation tells. */
export interface ProductState {
  productId: string;
  version: number;
  price: CatalogPrice;
  stockAvailable: number;
}

/** Options of a catalog cache. */
export interface CatalogCacheOptions {
  /** Longest an entry is served from when it was read, whatever changes patched it since. */
  maxAgeMs: number;
  /** Entries kept at most; the oldest is dropped first. */
  maxEntries: number;
  /**
   * Bytes of response bodies kept at most (the oldest entries are dropped first; a larger body is
   * not kept). Each entry is held twice — as bytes to send and as a value to patch — so the memory
   * it takes is a small multiple of this. Default: unbounded.
   */
  maxBytes?: number;
  /**
   * Longest a backend read may take and still be stored: the cache remembers each product's
   * latest change this long, to bring a read that raced with it up to date (default 10 s).
   */
  fillWindowMs?: number;
  now?: () => number;
}

/** A token taken before a backend read; the read's result may be stored only with it. */
export interface FillTicket {
  readonly epoch: number;
  readonly takenAt: number;
}

/** Counts of what the cache did, for metrics. */
export interface CatalogCacheCounters {
  onEvict?(scope: 'product' | 'all'): void;
  /**
   * A versioned change reached the cache: `applied` to the entries showing the product, `stale`
   * (they, or a change before, had that version or a newer one) or `uncached` (none shows it).
   */
  onChange?(outcome: 'applied' | 'stale' | 'uncached'): void;
}

const PRODUCT_KEY_PREFIX = 'product:';
const DEFAULT_FILL_WINDOW_MS = 10_000;

interface Entry {
  readonly key: string;
  /** The response body as a value; patched in place through its items' views. */
  readonly value: unknown;
  readonly items: readonly CatalogItem[];
  readonly storedAt: number;
  /** The bytes of `value`, made again on the next read after a patch. */
  rendered: CachedResponse | undefined;
  /** The body's length when last rendered, as counted in the cache's bytes. */
  bytes: number;
}

interface Remembered {
  readonly state: ProductState;
  readonly at: number;
}

/** A catalog response's bytes and strong ETag, cached or not. */
export function renderCatalogResponse(value: unknown): CachedResponse {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: strongEtag(body) };
}

function patch(item: CatalogItem, state: ProductState): void {
  item.version = state.version;
  item.view.price = { amountMinor: state.price.amountMinor, currency: state.price.currency };
  item.view.stockAvailable = state.stockAvailable;
}

/**
 * The gateway's in-memory cache of catalog responses (a product, a page of products, the
 * categories). It is only trusted while a change feed is live: `setLive(false)` empties it and
 * refuses fills until the feed is live again.
 *
 * A change to a product's price or stock does not evict: every product inside a cached response
 * carries the version it was read at, and a change with a higher version ({@link apply}, from
 * product.changed.v1 or from an order placed through this gateway) rewrites that product's price
 * and stock in every entry that shows it, in place; the bytes and the ETag are made again on the
 * next read. A change that is not newer is ignored, so events that arrive late or twice never roll
 * an entry back. Which products a list holds does not depend on price or stock (lists filter by
 * category and text and sort by category and name), so no change moves a product into or out of
 * a list.
 *
 * A read races with changes — it can start before a change and return after the change was
 * applied — so a read takes a {@link FillTicket} first, and the cache remembers the latest change
 * of each product for `fillWindowMs`: a stored read is brought up to every change newer than
 * what it read. A change without a version (an older product service) evicts the entries showing
 * that product instead, and no read that began before it is stored.
 */
export class CatalogCache {
  // Insertion order is age order, so the oldest entry is the first.
  readonly #entries = new Map<string, Entry>();
  // The entries showing each product, so a change finds them without scanning every list.
  readonly #byProduct = new Map<string, Set<Entry>>();
  // The latest change of each product in the last fillWindowMs, oldest first.
  readonly #recent = new Map<string, Remembered>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #fillWindowMs: number;
  readonly #now: () => number;
  readonly #counters: CatalogCacheCounters;
  #epoch = 0;
  #live = false;
  // Body bytes of the entries, as last rendered.
  #bytes = 0;

  constructor(options: CatalogCacheOptions, counters: CatalogCacheCounters = {}) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#fillWindowMs = options.fillWindowMs ?? DEFAULT_FILL_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.#counters = counters;
  }

  /** Whether the cache serves and stores (its change feed is live). */
  get live(): boolean {
    return this.#live;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Body bytes of the entries held now. */
  get bytes(): number {
    return this.#bytes;
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
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.storedAt >= this.#maxAgeMs) {
      this.#remove(entry);
      return undefined;
    }
    if (entry.rendered === undefined) {
      entry.rendered = renderCatalogResponse(entry.value);
      this.#bytes += entry.rendered.body.length - entry.bytes;
      entry.bytes = entry.rendered.body.length;
    }
    return entry.rendered;
  }

  /** Taken before the backend read whose result will be offered to {@link store}. */
  ticket(): FillTicket {
    return { epoch: this.#epoch, takenAt: this.#now() };
  }

  /**
   * Offers a response read with `ticket`: `value` is its body, `items` the products inside it.
   * Each item older than a change the cache remembers is brought up to it first; then the
   * response is stored, unless the cache is not live, an eviction happened since the ticket was
   * taken, or the read took longer than the fill window. Returns the bytes to send either way —
   * the stored ones when stored, so the caller sends the same bytes and ETag as later hits.
   */
  store(
    key: string,
    value: unknown,
    items: readonly CatalogItem[],
    ticket: FillTicket,
  ): CachedResponse {
    const now = this.#now();
    this.#forget(now);
    for (const item of items) {
      const latest = this.#recent.get(item.productId)?.state;
      if (latest !== undefined && latest.version > item.version) patch(item, latest);
    }
    const rendered = renderCatalogResponse(value);
    if (
      !this.#live ||
      ticket.epoch !== this.#epoch ||
      now - ticket.takenAt > this.#fillWindowMs ||
      rendered.body.length > this.#maxBytes
    ) {
      return rendered;
    }
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(previous);
    const bytes = rendered.body.length;
    const entry: Entry = { key, value, items, storedAt: now, rendered, bytes };
    this.#entries.set(key, entry);
    this.#bytes += bytes;
    for (const item of items) {
      let holders = this.#byProduct.get(item.productId);
      if (holders === undefined) this.#byProduct.set(item.productId, (holders = new Set()));
      holders.add(entry);
    }
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.values().next().value;
      if (oldest === undefined) break;
      this.#remove(oldest);
    }
    return rendered;
  }

  /**
   * A product changed, to `state`: every entry showing an older version of it shows `state` from
   * now on. A state no newer than what the cache knows changes nothing.
   */
  apply(state: ProductState): void {
    const now = this.#now();
    this.#forget(now);
    const known = this.#recent.get(state.productId)?.state;
    if (known !== undefined && known.version >= state.version) {
      this.#counters.onChange?.('stale');
      return;
    }
    // Re-inserted, so the map stays in the order the changes arrived.
    this.#recent.delete(state.productId);
    this.#recent.set(state.productId, { state, at: now });
    const holders = this.#byProduct.get(state.productId);
    let patched = 0;
    for (const entry of holders ?? []) {
      for (const item of entry.items) {
        if (item.productId === state.productId && item.version < state.version) {
          patch(item, state);
          entry.rendered = undefined;
          patched += 1;
        }
      }
    }
    this.#counters.onChange?.(patched > 0 ? 'applied' : holders ? 'stale' : 'uncached');
  }

  /**
   * A product changed in a way the cache cannot apply (no version): the entries showing it go, and
   * no read that began before is stored.
   */
  evictProduct(productId: string): void {
    this.#epoch += 1;
    for (const entry of [...(this.#byProduct.get(productId) ?? [])]) this.#remove(entry);
    this.#counters.onEvict?.('product');
  }

  /** Something changed that cannot be pinned to a product (an unreadable event): everything goes. */
  evictAll(): void {
    this.#clear();
    this.#counters.onEvict?.('all');
  }

  #remove(entry: Entry): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes;
    for (const item of entry.items) {
      const holders = this.#byProduct.get(item.productId);
      holders?.delete(entry);
      if (holders?.size === 0) this.#byProduct.delete(item.productId);
    }
  }

  /** Drops the changes older than the fill window: no read that could need them is stored. */
  #forget(now: number): void {
    for (const [productId, remembered] of this.#recent) {
      if (now - remembered.at <= this.#fillWindowMs) break;
      this.#recent.delete(productId);
    }
  }

  #clear(): void {
    this.#epoch += 1;
    this.#entries.clear();
    this.#byProduct.clear();
    this.#recent.clear();
    this.#bytes = 0;
  }
}
