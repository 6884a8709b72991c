import { describe, expect, it } from '@jest/globals';
import { backoffDelay, delay, validBackoff } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial wait and stops at the maximum', () => {
    const backoff = { initial: 100, max: 1_000 };

    expect([1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(backoff, failures))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('stays finite after very many failures', () => {
    expect(backoffDelay({ initial: 250, max: 5_000 }, 10_000)).toBe(5_000);
  });
});

describe('validBackoff', () => {
  it.each([
    { initial: 0, max: 10 },
    { initial: 10, max: 5 },
    { initial: Number.NaN, max: 5 },
  ])('rejects %j', (backoff) => {
    expect(() => validBackoff(backoff, 'retryBackoffMs')).toThrow(/retryBackoffMs/);
  });
});

describe('delay', () => {
  it('ends early, without an error, when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    controller.abort();

    await expect(waiting).resolves.toBeUndefined();
  });
});
