/** Something a test starts, and how to stop it once it has started. */
export interface Startable<T> {
  readonly start: Promise<T>;
  stop(started: T): unknown;
}

/**
 * Starts several things at once (a shop and a browser, a shop and Redis) and resolves with all of
 * them, in order. If any fails, the ones that did start are stopped before the first failure is
 * thrown: a `beforeAll` that fails half-way then leaves nothing running — nothing its `afterAll`
 * never got to see, which would keep Jest from exiting.
 */
export async function startTogether<T extends readonly unknown[]>(parts: {
  readonly [K in keyof T]: Startable<T[K]>;
}): Promise<T> {
  const list = parts as readonly Startable<unknown>[];
  const outcomes = await Promise.allSettled(list.map((part) => part.start));
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure === undefined)
    return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as never;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled')
      await Promise.resolve()
        .then(() => list[index]!.stop(outcome.value))
        .catch(() => undefined);
  }
  throw failure.reason;
}
