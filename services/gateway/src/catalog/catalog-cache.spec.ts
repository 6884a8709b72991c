import { describe, expect, it } from '@jest/globals';
import { CatalogCache, strongEtag } from './catalog-cache.js';

const body = (text: string) => Buffer.from(JSON.stringify({ text }));
const product = CatalogCache.productKey;

function liveCache(options: { maxAgeMs?: number; maxEntries?: number } = {}) {
  const clock = { now: 1_000 };
  const evictions: string[] = [];
  const cache = new CatalogCache(
    {
      maxAgeMs: options.maxAgeMs ?? 60_000,
      maxEntries: options.maxEntries ?? 100,
      now: () => clock.now,
    },
    { onEvict: (scope) => evictions.push(scope) },
  );
  cache.setLive(true);
  return { cache, clock, evictions };
}

describe('CatalogCache', () => {
  it('serves what it stored, with a strong ETag of the exact bytes', () => {
    const { cache } = liveCache();
    const stored = cache.store(product('p1'), body('v1'), cache.ticket());
    expect(cache.get(product('p1'))).toBe(stored);
    expect(stored.etag).toBe(strongEtag(body('v1')));
    expect(stored.etag).toMatch(/^"[\w-]+"$/);
    expect(strongEtag(body('v2'))).not.toBe(stored.etag);
  });

  it('drops the product and every list when that product changes, and keeps other products', () => {
    const { cache, evictions } = liveCache();
    cache.store(product('p1'), body('p1'), cache.ticket());
    cache.store(product('p2'), body('p2'), cache.ticket());
    cache.store('products?[20]', body('page'), cache.ticket());
    cache.store('categories', body('categories'), cache.ticket());
    cache.evictProduct('p1');
    expect(cache.get(product('p1'))).toBeUndefined();
    expect(cache.get('products?[20]')).toBeUndefined();
    expect(cache.get('categories')).toBeUndefined();
    expect(cache.get(product('p2'))?.body.toString()).toContain('p2');
    expect(evictions).toEqual(['product']);
  });

  it('does not store a read that began before an eviction (the read may predate the change)', () => {
    const { cache } = liveCache();
    const ticket = cache.ticket();
    cache.evictProduct('p1');
    const answer = cache.store(product('p1'), body('old price'), ticket);
    expect(answer.body.toString()).toContain('old price');
    expect(cache.get(product('p1'))).toBeUndefined();
    cache.store(product('p1'), body('new price'), cache.ticket());
    expect(cache.get(product('p1'))?.body.toString()).toContain('new price');
  });

  it('neither serves nor stores while it is not live, and starts empty when live again', () => {
    const { cache } = liveCache();
    cache.store(product('p1'), body('v1'), cache.ticket());
    const ticket = cache.ticket();
    cache.setLive(false);
    expect(cache.get(product('p1'))).toBeUndefined();
    cache.store(product('p1'), body('v1'), cache.ticket());
    expect(cache.size).toBe(0);
    cache.setLive(true);
    expect(cache.get(product('p1'))).toBeUndefined();
    // A read that began before the feed went down may have missed a change: not stored.
    cache.store(product('p1'), body('v1'), ticket);
    expect(cache.size).toBe(0);
  });

  it('forgets an entry older than its maximum age', () => {
    const { cache, clock } = liveCache({ maxAgeMs: 5_000 });
    cache.store(product('p1'), body('v1'), cache.ticket());
    clock.now += 4_999;
    expect(cache.get(product('p1'))).toBeDefined();
    clock.now += 1;
    expect(cache.get(product('p1'))).toBeUndefined();
  });

  it('keeps at most maxEntries of each kind, dropping the oldest first', () => {
    const { cache } = liveCache({ maxEntries: 2 });
    for (const id of ['p1', 'p2', 'p3']) cache.store(product(id), body(id), cache.ticket());
    expect(cache.get(product('p1'))).toBeUndefined();
    expect(cache.get(product('p2'))).toBeDefined();
    expect(cache.get(product('p3'))).toBeDefined();
  });

  it('empties itself on evictAll', () => {
    const { cache, evictions } = liveCache();
    cache.store(product('p1'), body('v1'), cache.ticket());
    cache.store('categories', body('c'), cache.ticket());
    cache.evictAll();
    expect(cache.size).toBe(0);
    expect(evictions).toEqual(['all']);
  });
});
