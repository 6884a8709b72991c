import { describe, expect, it } from '@jest/globals';
import { InProcessLocks, advisoryLockKey } from './advisory-lock.js';

describe('advisoryLockKey', () => {
  it('hashes a name to the same signed 64-bit key every time', () => {
    const key = advisoryLockKey('order-outbox-relay');

    expect(advisoryLockKey('order-outbox-relay')).toBe(key);
    expect(advisoryLockKey('payment-outbox-relay')).not.toBe(key);
    expect(key).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(key).toBeLessThan(2n ** 63n);
  });

  it('is the first eight bytes of the SHA-256 of the name', () => {
    // SHA-256("abc") begins ba7816bf8f01cfea, which as a signed int8 is negative.
    expect(advisoryLockKey('abc')).toBe(BigInt.asIntN(64, 0xba7816bf8f01cfean));
  });

  it('passes integer keys through and rejects ones int8 cannot hold', () => {
    expect(advisoryLockKey(42n)).toBe(42n);
    expect(advisoryLockKey(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(() => advisoryLockKey(2n ** 63n)).toThrow(RangeError);
    expect(() => advisoryLockKey('')).toThrow(TypeError);
  });
});

describe('InProcessLocks', () => {
  it('lets one holder have a key, and others only other keys', () => {
    const locks = new InProcessLocks();

    expect(locks.tryAcquire(1n)).toBe(true);
    expect(locks.tryAcquire(1n)).toBe(false);
    expect(locks.tryAcquire(2n)).toBe(true);
    locks.release(1n);
    expect(locks.tryAcquire(1n)).toBe(true);
  });

  it('hands a released key to waiters in arrival order, never letting it go free in between', async () => {
    const locks = new InProcessLocks();
    const order: string[] = [];
    locks.tryAcquire(7n);

    const second = locks.acquire(7n).then(() => order.push('second'));
    const third = locks.acquire(7n).then(() => order.push('third'));
    locks.release(7n);
    await second;

    expect(locks.tryAcquire(7n)).toBe(false);
    locks.release(7n);
    await third;
    locks.release(7n);
    expect(order).toEqual(['second', 'third']);
    expect(locks.tryAcquire(7n)).toBe(true);
  });
});
