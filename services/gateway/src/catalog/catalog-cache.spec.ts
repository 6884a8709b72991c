import { describe, expect, it } from '@jest/globals';
import {
  CatalogCache,
  strongEtag,
  type CatalogItem,
  type CatalogProductView,
  type ProductState,
} from './catalog-cache.js';

const product = CatalogCache.productKey;

interface View extends CatalogProductView {
  id: string;
}

/** A product's view and its cache item, read at `version` with `stock` units and price 1000. */
function read(id: string, version: number, stock = 5, priceMinor = 1000) {
  const view: View = {
    id,
    price: { amountMinor: priceMinor, currency: 'EUR' },
    stockAvailable: stock,
  };
  const item: CatalogItem = { productId: id, version, view };
  return { view, item };
}

/** A product page: the body and its items, as the list route hands them to the cache. */
function page(...products: ReturnType<typeof read>[]) {
  return {
    value: { products: products.map(({ view }) => view) },
    items: products.map(({ item }) => item),
  };
}

const change = (
  productId: string,
  version: number,
  stock: number,
  priceMinor = 1000,
): ProductState => ({
  productId,
  version,
  price: { amountMinor: priceMinor, currency: 'EUR' },
  stockAvailable: stock,
});

const json = (bytes: Buffer | undefined) =>
  bytes ? (JSON.parse(bytes.toString()) as unknown) : undefined;

function liveCache(
  options: {
    maxAgeMs?: number;
    maxEntries?: number;
    maxBytes?: number;
    fillWindowMs?: number;
  } = {},
) {
  const clock = { now: 1_000 };
  const evictions: string[] = [];
  const changes: string[] = [];
  const cache = new CatalogCache(
    {
      maxAgeMs: options.maxAgeMs ?? 60_000,
      maxEntries: options.maxEntries ?? 100,
      fillWindowMs: options.fillWindowMs ?? 10_000,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      now: () => clock.now,
    },
    { onEvict: (scope) => evictions.push(scope), onChange: (outcome) => changes.push(outcome) },
  );
  cache.setLive(true);
  const storeProduct = (state: ReturnType<typeof read>, ticket = cache.ticket()) =>
    cache.store(product(state.item.productId), state.view, [state.item], ticket);
  return { cache, clock, evictions, changes, storeProduct };
}

describe('CatalogCache', () => {
  it('serves what it stored, with a strong ETag of the exact bytes', () => {
    const { cache, storeProduct } = liveCache();
    const stored = storeProduct(read('p1', 1));
    expect(cache.get(product('p1'))).toBe(stored);
    expect(stored.body.toString()).toBe(JSON.stringify(read('p1', 1).view));
    expect(stored.etag).toBe(strongEtag(stored.body));
    expect(stored.etag).toMatch(/^"[\w-]+"$/);
  });

  it('applies a newer change to every entry showing the product, with new bytes and ETag, and leaves the rest alone', () => {
    const { cache, changes, storeProduct } = liveCache();
    const before = storeProduct(read('p1', 3, 5));
    storeProduct(read('p2', 7, 9));
    const list = page(read('p1', 3, 5), read('p2', 7, 9));
    const listBefore = cache.store('products?[100]', list.value, list.items, cache.ticket());
    const categories = cache.store(
      'categories',
      { categories: [{ name: 'x' }] },
      [],
      cache.ticket(),
    );

    cache.apply(change('p1', 4, 2, 1250));

    const after = cache.get(product('p1'))!;
    expect(json(after.body)).toEqual({
      id: 'p1',
      price: { amountMinor: 1250, currency: 'EUR' },
      stockAvailable: 2,
    });
    expect(after.etag).toBe(strongEtag(after.body));
    expect(after.etag).not.toBe(before.etag);
    expect(json(cache.get('products?[100]')?.body)).toEqual({
      products: [
        { id: 'p1', price: { amountMinor: 1250, currency: 'EUR' }, stockAvailable: 2 },
        { id: 'p2', price: { amountMinor: 1000, currency: 'EUR' }, stockAvailable: 9 },
      ],
    });
    expect(cache.get('products?[100]')?.etag).not.toBe(listBefore.etag);
    expect(json(cache.get(product('p2'))?.body)).toMatchObject({ stockAvailable: 9 });
    expect(cache.get('categories')).toBe(categories);
    expect(changes).toEqual(['applied']);
  });

  it('ignores a change no newer than what it holds: a late or repeated event never rolls back', () => {
    const { cache, changes, storeProduct } = liveCache();
    storeProduct(read('p1', 5, 3));
    cache.apply(change('p1', 6, 2));
    cache.apply(change('p1', 6, 2));
    cache.apply(change('p1', 4, 9));
    expect(json(cache.get(product('p1'))?.body)).toMatchObject({ stockAvailable: 2 });
    // An entry read after a change (a higher version than the event) keeps what it read.
    storeProduct(read('p2', 8, 1));
    cache.apply(change('p2', 7, 4));
    expect(json(cache.get(product('p2'))?.body)).toMatchObject({ stockAvailable: 1 });
    expect(changes).toEqual(['applied', 'stale', 'stale', 'stale']);
    cache.apply(change('p9', 1, 1));
    expect(changes.at(-1)).toBe('uncached');
  });

  it('brings a read that raced with a change up to it before storing, and sends the same bytes it stores', () => {
    const { cache, storeProduct } = liveCache();
    const ticket = cache.ticket();
    // The change reaches the cache while the read, which saw version 2, is still in flight.
    cache.apply(change('p1', 3, 1, 900));
    const sent = storeProduct(read('p1', 2, 4), ticket);
    expect(json(sent.body)).toMatchObject({ price: { amountMinor: 900 }, stockAvailable: 1 });
    expect(cache.get(product('p1'))).toBe(sent);
    // A list read in flight as well.
    const list = page(read('p1', 2, 4), read('p2', 1, 6));
    cache.store('products?[100]', list.value, list.items, ticket);
    expect(json(cache.get('products?[100]')?.body)).toMatchObject({
      products: [
        { id: 'p1', stockAvailable: 1 },
        { id: 'p2', stockAvailable: 6 },
      ],
    });
  });

  it('does not store a read that took longer than the fill window: the change it raced with may be forgotten', () => {
    const { cache, clock, storeProduct } = liveCache({ fillWindowMs: 1_000 });
    const ticket = cache.ticket();
    cache.apply(change('p1', 3, 1));
    clock.now += 1_001;
    const sent = storeProduct(read('p1', 2, 4), ticket);
    expect(json(sent.body)).toMatchObject({ stockAvailable: 4 });
    expect(cache.get(product('p1'))).toBeUndefined();
    storeProduct(read('p1', 3, 1));
    expect(json(cache.get(product('p1'))?.body)).toMatchObject({ stockAvailable: 1 });
  });

  it('evicts the entries showing a product on a change it cannot apply, and stores no read begun before', () => {
    const { cache, evictions, storeProduct } = liveCache();
    storeProduct(read('p1', 1));
    storeProduct(read('p2', 1));
    const withP1 = page(read('p1', 1), read('p2', 1));
    cache.store('products?[100]', withP1.value, withP1.items, cache.ticket());
    const withoutP1 = page(read('p2', 1));
    cache.store('products?["b"]', withoutP1.value, withoutP1.items, cache.ticket());
    const ticket = cache.ticket();

    cache.evictProduct('p1');

    expect(cache.get(product('p1'))).toBeUndefined();
    expect(cache.get('products?[100]')).toBeUndefined();
    expect(cache.get('products?["b"]')).toBeDefined();
    expect(cache.get(product('p2'))).toBeDefined();
    expect(evictions).toEqual(['product']);
    storeProduct(read('p1', 1, 99), ticket);
    expect(cache.get(product('p1'))).toBeUndefined();
    storeProduct(read('p1', 2, 4));
    expect(json(cache.get(product('p1'))?.body)).toMatchObject({ stockAvailable: 4 });
  });

  it('neither serves nor stores while it is not live, and starts empty when live again', () => {
    const { cache, storeProduct } = liveCache();
    storeProduct(read('p1', 1));
    const ticket = cache.ticket();
    cache.setLive(false);
    expect(cache.get(product('p1'))).toBeUndefined();
    storeProduct(read('p1', 1));
    expect(cache.size).toBe(0);
    cache.setLive(true);
    expect(cache.get(product('p1'))).toBeUndefined();
    // A read that began before the feed went down may have missed a change: not stored.
    storeProduct(read('p1', 1), ticket);
    expect(cache.size).toBe(0);
  });

  it('forgets an entry at its maximum age from the read, however many changes patched it', () => {
    const { cache, clock, storeProduct } = liveCache({ maxAgeMs: 5_000 });
    storeProduct(read('p1', 1));
    clock.now += 4_000;
    cache.apply(change('p1', 2, 3));
    clock.now += 999;
    expect(json(cache.get(product('p1'))?.body)).toMatchObject({ stockAvailable: 3 });
    clock.now += 1;
    expect(cache.get(product('p1'))).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest first, and no longer patches what it dropped', () => {
    const { cache, storeProduct } = liveCache({ maxEntries: 2 });
    const first = read('p1', 1, 5);
    storeProduct(first);
    storeProduct(read('p2', 1));
    storeProduct(read('p3', 1));
    expect(cache.get(product('p1'))).toBeUndefined();
    expect(cache.get(product('p2'))).toBeDefined();
    expect(cache.get(product('p3'))).toBeDefined();
    cache.apply(change('p1', 2, 0));
    expect(first.view.stockAvailable).toBe(5);
    expect(cache.size).toBe(2);
  });

  it('keeps at most maxBytes of bodies, dropping the oldest first, and keeps no body larger than that', () => {
    const { cache, storeProduct } = liveCache({ maxBytes: 250 });
    const size = storeProduct(read('p1', 1)).body.length;
    expect(cache.bytes).toBe(size);
    storeProduct(read('p2', 1));
    storeProduct(read('p3', 1));
    expect(cache.bytes).toBe(3 * size);
    storeProduct(read('p4', 1));
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * size);
    expect(cache.get(product('p1'))).toBeUndefined();
    const big = page(...Array.from({ length: 5 }, (_, index) => read(`p${index}`, 1)));
    const sent = cache.store('products?[5]', big.value, big.items, cache.ticket());
    expect(sent.body.length).toBeGreaterThan(250);
    expect(cache.get('products?[5]')).toBeUndefined();
    expect(cache.size).toBe(3);
    // A patch that changes a body's length is counted once the body is made again.
    cache.apply(change('p4', 2, 12_345, 123_456));
    expect(cache.get(product('p4'))!.body.length).toBe(size + 6);
    expect(cache.bytes).toBe(3 * size + 6);
  });

  it('empties itself on evictAll', () => {
    const { cache, evictions, storeProduct } = liveCache();
    storeProduct(read('p1', 1));
    cache.store('categories', { categories: [] }, [], cache.ticket());
    cache.evictAll();
    expect(cache.size).toBe(0);
    expect(evictions).toEqual(['all']);
  });
});
