import { createHash } from 'node:crypto';
import { type AdvisoryLockKey } from './types.js';

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/**
 * The 64-bit key PostgreSQL's advisory-lock functions take. A name is hashed (first 8 bytes of its
 * SHA-256, signed), so `'order-outbox-relay'` maps to the same key in every process and language.
 */
export function advisoryLockKey(key: AdvisoryLockKey): bigint {
  if (typeof key === 'string') {
    if (key.length === 0) throw new TypeError('An advisory lock name must not be empty');
    return createHash('sha256').update(key, 'utf8').digest().readBigInt64BE(0);
  }
  if (key < INT8_MIN || key > INT8_MAX)
    throw new RangeError(`Advisory lock key ${key} does not fit in int8`);
  return key;
}

/**
 * Advisory locks among the callers of one process. PGlite has a single session, where PostgreSQL's
 * advisory locks are re-entrant and so never exclude anyone; this gives each key one holder at a time.
 */
export class InProcessLocks {
  readonly #holders = new Set<bigint>();
  readonly #waiters = new Map<bigint, Array<() => void>>();

  tryAcquire(key: bigint): boolean {
    if (this.#holders.has(key)) return false;
    this.#holders.add(key);
    return true;
  }

  async acquire(key: bigint): Promise<void> {
    if (this.tryAcquire(key)) return;
    await new Promise<void>((resolve) => {
      const queue = this.#waiters.get(key) ?? [];
      queue.push(resolve);
      this.#waiters.set(key, queue);
    });
  }

  /** Hands the key to the next waiter, if any, without letting it go free in between. */
  release(key: bigint): void {
    const next = this.#waiters.get(key)?.shift();
    if (next) {
      next();
      return;
    }
    this.#waiters.delete(key);
    this.#holders.delete(key);
  }
}
