import { describe, expect, it } from '@jest/globals';
import { rateLimitKey } from './rate-limit.js';

describe('rateLimitKey', () => {
  it('counts a signed-in customer by subject, wherever the request comes from', () => {
    const principal = { customerId: 'demo-alice' } as Parameters<typeof rateLimitKey>[0];
    expect(rateLimitKey(principal, '127.0.0.1')).toBe('sub:demo-alice');
    expect(rateLimitKey(principal, '10.1.2.3')).toBe('sub:demo-alice');
  });

  it('counts an anonymous client by address, the same key every time', () => {
    expect(rateLimitKey(undefined, '127.0.0.1')).toBe('ip:127.0.0.1');
    expect(rateLimitKey(undefined, '127.0.0.1')).toBe('ip:127.0.0.1');
    expect(rateLimitKey(undefined, '127.0.0.2')).toBe('ip:127.0.0.2');
  });

  it('counts IPv6 clients by their /56 network, also when the key was worked out before', () => {
    const first = rateLimitKey(undefined, '2001:db8:0:ab01::1');
    expect(first).toBe(rateLimitKey(undefined, '2001:db8:0:ab99::7'));
    expect(rateLimitKey(undefined, '2001:db8:0:ab01::1')).toBe(first);
    expect(rateLimitKey(undefined, '2001:db8:0:cd01::1')).not.toBe(first);
  });
});
