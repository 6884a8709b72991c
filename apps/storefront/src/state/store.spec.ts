import { describe, expect, it } from '@jest/globals';
import { createStore, persistedStore } from './store.js';

/** Web Storage in memory; `failWrites` makes it refuse writes like a full or private-mode store. */
function memoryStorage(failWrites = false): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => items.delete(key),
    setItem: (key, value) => {
      if (failWrites) throw new Error('QuotaExceededError');
      items.set(key, value);
    },
  };
}

/** A window that lets the test fire `storage` events, as another tab's writes do. */
function fakeWindow() {
  const listeners: ((event: StorageEvent) => void)[] = [];
  return {
    addEventListener: (_type: string, listener: (event: StorageEvent) => void) => {
      listeners.push(listener);
    },
    fireStorage: (key: string | null) => {
      for (const listener of listeners) listener({ key } as StorageEvent);
    },
  };
}

const parseCount = (stored: string | null) =>
  stored === null ? 0 : (JSON.parse(stored) as number);

describe('stores', () => {
  it('notify subscribers of changes until they unsubscribe', () => {
    const store = createStore(1);
    const seen: number[] = [];
    const unsubscribe = store.subscribe(() => seen.push(store.get()));
    store.set(2);
    store.set(2);
    unsubscribe();
    store.set(3);
    expect(seen).toEqual([2]);
  });

  it('persist their value and read it back in a new page', () => {
    const storage = memoryStorage();
    persistedStore({ storage, key: 'count', parse: parseCount }).set(5);
    expect(persistedStore({ storage, key: 'count', parse: parseCount }).get()).toBe(5);
  });

  it("follow another tab's changes", () => {
    const storage = memoryStorage();
    const window = fakeWindow();
    const store = persistedStore({
      storage,
      key: 'count',
      parse: parseCount,
      window: window as unknown as Window,
    });
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.get()));
    storage.setItem('count', '7');
    window.fireStorage('other-key');
    window.fireStorage('count');
    expect(seen).toEqual([7]);
  });

  it('keep working in memory when storage refuses writes', () => {
    const store = persistedStore({ storage: memoryStorage(true), key: 'count', parse: parseCount });
    store.set(3);
    expect(store.get()).toBe(3);
  });
});
