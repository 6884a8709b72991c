import { describe, expect, it } from '@jest/globals';
import { startTogether } from './start-together.js';

describe('startTogether', () => {
  it('resolves with everything it started, in order', async () => {
    const stopped: string[] = [];
    const [first, second] = await startTogether([
      { start: Promise.resolve('shop'), stop: (value: string) => stopped.push(value) },
      { start: Promise.resolve(42), stop: (value: number) => stopped.push(String(value)) },
    ]);

    expect(first).toBe('shop');
    expect(second).toBe(42);
    expect(stopped).toEqual([]);
  });

  it('stops what did start when another part fails, and throws that failure', async () => {
    const stopped: string[] = [];
    const failing = startTogether([
      { start: Promise.resolve('shop'), stop: async (value: string) => stopped.push(value) },
      { start: Promise.reject(new Error('no browser')), stop: () => stopped.push('browser') },
      { start: Promise.resolve('redis'), stop: async (value: string) => stopped.push(value) },
    ]);

    await expect(failing).rejects.toThrow('no browser');
    expect(stopped).toEqual(['shop', 'redis']);
  });

  it('still stops the rest when stopping one of them fails', async () => {
    const stopped: string[] = [];
    const failing = startTogether([
      {
        start: Promise.resolve('shop'),
        stop: async () => {
          throw new Error('stop failed');
        },
      },
      { start: Promise.resolve('redis'), stop: (value: string) => stopped.push(value) },
      { start: Promise.reject(new Error('no browser')), stop: () => undefined },
    ]);

    await expect(failing).rejects.toThrow('no browser');
    expect(stopped).toEqual(['redis']);
  });
});
