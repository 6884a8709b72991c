/** A value that components can read and subscribe to. */
export interface Store<T> {
  get: () => T;
  set: (next: T) => void;
  /** Calls the listener after every change; returns the unsubscribe function. */
  subscribe: (listener: () => void) => () => void;
}

/** A store held in memory. */
export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Where a persisted store keeps its value, and how it reads it back. */
export interface Persistence<T> {
  storage: Storage;
  key: string;
  parse: (stored: string | null) => T;
  /** Called when another tab of the shop changed the stored value. */
  window?: Pick<Window, 'addEventListener'>;
}

/**
 * A store whose value survives reloads (in Web Storage) and follows changes made in other tabs.
 * A storage that refuses writes (private mode, quota) leaves the shop working for this page.
 */
export function persistedStore<T>({ storage, key, parse, window }: Persistence<T>): Store<T> {
  const read = (): T => {
    try {
      return parse(storage.getItem(key));
    } catch {
      return parse(null);
    }
  };
  const store = createStore(read());
  window?.addEventListener('storage', (event: StorageEvent) => {
    if (event.key === key || event.key === null) store.set(read());
  });
  return {
    get: store.get,
    subscribe: store.subscribe,
    set(next) {
      try {
        storage.setItem(key, JSON.stringify(next));
      } catch {
        // Kept in memory only; the shopper can still check out from this page.
      }
      store.set(next);
    },
  };
}
