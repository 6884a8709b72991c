import { describe, expect, it } from '@jest/globals';
import { KafkaJSError, KafkaJSNonRetriableError } from 'kafkajs';
import { backoffDelay, delay, isRetriable, retryRetriable, validBackoff } from './backoff.js';

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

describe('retryRetriable', () => {
  const backoff = { initial: 1, max: 2 };
  const unknownTopic = () =>
    new KafkaJSError('This server does not host this topic-partition', { retriable: true });

  it('tries again after retriable errors and returns the first success', async () => {
    const failures: number[] = [];
    let calls = 0;
    const result = await retryRetriable(
      async () => {
        calls += 1;
        if (calls < 3) throw unknownTopic();
        return 'created';
      },
      { attempts: 5, backoff, onRetry: (_error, failed) => failures.push(failed) },
    );
    expect({ result, calls, failures }).toEqual({ result: 'created', calls: 3, failures: [1, 2] });
  });

  it('throws a non-retriable error at once', async () => {
    let calls = 0;
    const denied = new KafkaJSNonRetriableError('Topic authorization failed');
    await expect(
      retryRetriable(
        async () => {
          calls += 1;
          throw denied;
        },
        { attempts: 5, backoff },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('throws the last retriable error once the attempts are used up', async () => {
    let calls = 0;
    await expect(
      retryRetriable(
        async () => {
          calls += 1;
          throw unknownTopic();
        },
        { attempts: 3, backoff },
      ),
    ).rejects.toThrow('This server does not host this topic-partition');
    expect(calls).toBe(3);
  });

  it('starts no attempt after its signal aborts, also while waiting: the last error is thrown', async () => {
    const stopping = new AbortController();
    let calls = 0;
    const retrying = retryRetriable(
      async () => {
        calls += 1;
        throw unknownTopic();
      },
      { attempts: 10, backoff: { initial: 60_000, max: 60_000 }, signal: stopping.signal },
    );
    stopping.abort();

    await expect(retrying).rejects.toThrow('This server does not host this topic-partition');
    expect(calls).toBe(1);
  });

  it('tells retriable errors by the flag kafkajs sets, nothing else', () => {
    expect(isRetriable(unknownTopic())).toBe(true);
    expect(isRetriable(new KafkaJSNonRetriableError('no'))).toBe(false);
    expect(isRetriable(new Error('plain'))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});
