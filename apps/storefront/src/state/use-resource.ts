import { useCallback, useEffect, useState } from 'preact/hooks';

/** Data a page loads: still loading, loaded, or failed. */
export type Resource<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'failed'; error: unknown };

const LOADING = { state: 'loading' } as const;

/**
 * Loads data for a component: again when `deps` change or `reload()` is called, and cancelled
 * when the component goes away or a newer load starts, so a slow answer never overwrites a newer one.
 * Without `load` (e.g. before the shopper has signed in) nothing is requested.
 */
export function useResource<T>(
  load: ((signal: AbortSignal) => Promise<T>) | undefined,
  deps: readonly unknown[],
): [Resource<T>, () => void, (value: T) => void] {
  // The result remembers what it was loaded for: in the render where `deps` change, before the
  // new load starts, the old result must not be shown as the answer to the new question.
  const key = JSON.stringify(deps);
  const [result, setResult] = useState<{ key: string; resource: Resource<T> }>({
    key,
    resource: LOADING,
  });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setResult({ key, resource: LOADING });
    if (!load) return;
    const controller = new AbortController();
    const settle = (resource: Resource<T>) => {
      if (!controller.signal.aborted) setResult({ key, resource });
    };
    load(controller.signal).then(
      (value) => settle({ state: 'ready', value }),
      (error: unknown) => settle({ state: 'failed', error }),
    );
    return () => controller.abort();
    // `load` is a new closure on every render; what it loads is named by `deps`.
  }, [key, attempt]);
  const reload = useCallback(() => setAttempt((count) => count + 1), []);
  const replace = useCallback(
    (value: T) => setResult({ key, resource: { state: 'ready', value } }),
    [key],
  );
  return [result.key === key ? result.resource : LOADING, reload, replace];
}
