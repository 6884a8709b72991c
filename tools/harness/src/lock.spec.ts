import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { fileExists } from './files.js';
import { withLock } from './lock.js';

describe('withLock', () => {
  let dir: string;
  let lockPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'harness-lock-'));
    lockPath = join(dir, 'lock');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lets one holder in at a time when many ask at once', async () => {
    let inside = 0;
    let mostInside = 0;
    const finished: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((caller) =>
        withLock(lockPath, async () => {
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          await sleep(20);
          inside -= 1;
          finished.push(caller);
        }),
      ),
    );
    expect(mostInside).toBe(1);
    expect([...finished].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await fileExists(lockPath)).toBe(false);
  });

  it('breaks a lock left behind by a process that died', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockPath, `${deadPid} token-of-a-crashed-run`);

    await expect(withLock(lockPath, async () => 'ran', { timeoutMs: 5_000 })).resolves.toBe('ran');
    expect(await fileExists(lockPath)).toBe(false);
  });

  it('waits for a live holder and names it when it gives up', async () => {
    await writeFile(lockPath, `${process.pid} token-of-another-holder`);

    await expect(withLock(lockPath, async () => 'ran', { timeoutMs: 300 })).rejects.toThrow(
      `held by process ${process.pid}`,
    );
    expect(await fileExists(lockPath)).toBe(true);
  });

  it('releases the lock when the action fails', async () => {
    await expect(
      withLock(lockPath, async () => {
        throw new Error('action failed');
      }),
    ).rejects.toThrow('action failed');

    await expect(withLock(lockPath, async () => 'ran again', { timeoutMs: 1_000 })).resolves.toBe(
      'ran again',
    );
  });
});
