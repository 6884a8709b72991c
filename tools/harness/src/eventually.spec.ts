import { describe, expect, it } from '@jest/globals';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('retries until the check passes and returns its value', async () => {
    let attempts = 0;
    const value = await eventually(
      () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`not yet (${attempts})`);
        return 'ready';
      },
      { intervalMs: 1 },
    );
    expect({ value, attempts }).toEqual({ value: 'ready', attempts: 3 });
  });

  it('rethrows the last error once time is up, after one attempt for a zero timeout', async () => {
    let attempts = 0;
    await expect(
      eventually(
        () => {
          attempts += 1;
          throw new Error(`still wrong after ${attempts}`);
        },
        { timeoutMs: 0, intervalMs: 1 },
      ),
    ).rejects.toThrow(/^still wrong after 1$/);
  });
});
