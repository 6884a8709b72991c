import { describe, expect, it } from '@jest/globals';
import { FixedWindowLimiter } from './limiter.js';

describe('FixedWindowLimiter', () => {
  const at = (start = 0) => {
    const clock = { now: start };
    const limiter = new FixedWindowLimiter(3, 60_000, () => clock.now);
    return { clock, limiter };
  };

  it('allows `limit` requests per key and window, then refuses, counting each key apart', () => {
    const { limiter } = at();
    const answers = [1, 2, 3, 4].map(() => limiter.take('ip:a'));
    expect(answers.map((answer) => answer.allowed)).toEqual([true, true, true, false]);
    expect(answers.map((answer) => answer.remaining)).toEqual([2, 1, 0, 0]);
    expect(limiter.take('ip:b').allowed).toBe(true);
    limiter.close();
  });

  it('starts a new window once the old one has ended', () => {
    const { clock, limiter } = at();
    for (let i = 0; i < 4; i++) limiter.take('sub:alice');
    expect(limiter.wouldAllow('sub:alice')).toBe(false);
    clock.now += 59_000;
    expect(limiter.take('sub:alice')).toMatchObject({ allowed: false, resetSeconds: 1 });
    clock.now += 1_000;
    expect(limiter.wouldAllow('sub:alice')).toBe(true);
    expect(limiter.take('sub:alice')).toMatchObject({
      allowed: true,
      remaining: 2,
      resetSeconds: 60,
    });
    limiter.close();
  });

  it('announces the budget in draft-8 headers without showing the key', () => {
    const { limiter } = at();
    const { headers } = limiter.take('sub:demo-alice');
    const byName = Object.fromEntries(headers);
    expect(byName.RateLimit).toBe('"3-in-1min"; r=2; t=60');
    expect(byName['RateLimit-Policy']).toMatch(/^"3-in-1min"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/);
    expect(byName['RateLimit-Policy']).not.toContain('alice');
    limiter.close();
  });

  it('only looks when asked whether a request would be allowed', () => {
    const { limiter } = at();
    for (let i = 0; i < 10; i++) expect(limiter.wouldAllow('ip:a')).toBe(true);
    expect(limiter.take('ip:a').remaining).toBe(2);
    limiter.close();
  });
});
