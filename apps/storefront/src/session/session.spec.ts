import { describe, expect, it } from '@jest/globals';
import { displayName, isActive, parseSession, sessionOf } from './session.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const token = {
  accessToken: 'jwt',
  tokenType: 'Bearer' as const,
  expiresIn: 3600,
  customerId: 'demo-bob',
};

describe('session', () => {
  it('opens a session that expires with its token', () => {
    const session = sessionOf(token, 'customer', NOW);
    expect(session).toEqual({
      kind: 'customer',
      customerId: 'demo-bob',
      accessToken: 'jwt',
      expiresAt: NOW + 3_600_000,
    });
    expect(isActive(session, NOW)).toBe(true);
    // A token about to run out is not used for a checkout.
    expect(isActive(session, NOW + 3_600_000 - 30_000)).toBe(false);
    expect(isActive(null, NOW)).toBe(false);
  });

  it('names demo customers and guests', () => {
    expect(displayName(sessionOf(token, 'customer', NOW))).toBe('Bob');
    expect(displayName(sessionOf({ ...token, customerId: 'guest-1' }, 'guest', NOW))).toBe('Guest');
  });

  it('reads back an active session and nothing else', () => {
    const session = sessionOf(token, 'guest', NOW);
    expect(parseSession(JSON.stringify(session), NOW)).toEqual(session);
    expect(parseSession(JSON.stringify(session), NOW + 3_600_000)).toBeNull();
    expect(parseSession(null, NOW)).toBeNull();
    expect(parseSession('{', NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...session, kind: 'admin' }), NOW)).toBeNull();
    expect(parseSession(JSON.stringify({ ...session, expiresAt: 'later' }), NOW)).toBeNull();
  });
});
