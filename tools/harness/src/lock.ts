import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCode } from './errors.js';
import { isProcessAlive } from './processes.js';

/** How long to wait for a lock before giving up. */
export interface LockOptions {
  /** Default 10 minutes: a holder may be downloading Kafka or starting a broker. */
  readonly timeoutMs?: number;
}

const POLL_INTERVAL_MS = 100;
/** Breaking a stale lock takes milliseconds; a breaker lock older than this belongs to a crashed breaker. */
const STALE_BREAKER_MS = 30_000;

/**
 * Runs `action` while holding an inter-process lock on `lockPath`, shared by every process on this
 * machine. The lock file is created atomically with `link()` (it appears complete, with its owner's
 * pid, or not at all); a lock whose owner process has died is broken, so a crashed holder never
 * blocks later runs.
 */
export async function withLock<T>(
  lockPath: string,
  action: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const token = `${process.pid} ${randomUUID()}`;
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  while (!(await tryCreateExclusively(lockPath, token))) {
    const holder = await readHolder(lockPath);
    if (holder !== undefined && !(await isProcessAlive(holder.pid))) {
      await breakStaleLock(lockPath, holder.token);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for the lock ${lockPath}` +
          (holder ? ` held by process ${holder.pid}` : ''),
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  try {
    return await action();
  } finally {
    await removeIfContains(lockPath, token);
  }
}

async function tryCreateExclusively(path: string, token: string): Promise<boolean> {
  const draft = `${path}.${randomUUID()}.draft`;
  await writeFile(draft, token);
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if (isErrorCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await unlink(draft);
  }
}

async function readHolder(path: string): Promise<{ pid: number; token: string } | undefined> {
  try {
    const token = await readFile(path, 'utf8');
    const pid = Number.parseInt(token, 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, token } : undefined;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Removes a lock whose holder died. Breakers serialise on a second lock so that between re-reading
 * the stale token and deleting it nobody else can replace the lock: only its (dead) holder or the
 * one breaker could remove it, so a freshly taken lock is never deleted by mistake.
 */
async function breakStaleLock(lockPath: string, staleToken: string): Promise<void> {
  const breakerPath = `${lockPath}.breaker`;
  const breakerToken = `${process.pid} ${randomUUID()}`;
  if (!(await tryCreateExclusively(breakerPath, breakerToken))) {
    await removeAbandonedBreaker(breakerPath);
    await sleep(POLL_INTERVAL_MS);
    return;
  }
  try {
    await removeIfContains(lockPath, staleToken);
  } finally {
    await removeIfContains(breakerPath, breakerToken);
  }
}

async function removeAbandonedBreaker(breakerPath: string): Promise<void> {
  try {
    const { mtimeMs } = await stat(breakerPath);
    const holder = await readHolder(breakerPath);
    const holderDead = holder !== undefined && !(await isProcessAlive(holder.pid));
    if (holderDead || Date.now() - mtimeMs > STALE_BREAKER_MS) {
      await removeIfContains(breakerPath, holder?.token);
    }
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
}

async function removeIfContains(path: string, token: string | undefined): Promise<void> {
  try {
    if (token === undefined || (await readFile(path, 'utf8')) === token) await unlink(path);
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
}
