import { DEMO_CUSTOMERS } from '@mercato/contracts/demo';
import type { IssuedToken } from '../api/types.js';

/** Who is shopping: a demo customer or a guest, with the access token the gateway issued. */
export interface Session {
  kind: 'customer' | 'guest';
  customerId: string;
  accessToken: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

// A token this close to its expiry is treated as expired: a checkout must not start with a token
// that runs out on the way.
const EXPIRY_MARGIN_MS = 60_000;

/** The session a freshly issued token opens. */
export const sessionOf = (
  token: IssuedToken,
  kind: Session['kind'],
  now = Date.now(),
): Session => ({
  kind,
  customerId: token.customerId,
  accessToken: token.accessToken,
  expiresAt: now + token.expiresIn * 1000,
});

/** Whether the session can still be used. */
export const isActive = (session: Session | null, now = Date.now()): session is Session =>
  session !== null && session.expiresAt - EXPIRY_MARGIN_MS > now;

/** What to call the shopper in the page header. */
export function displayName(session: Session): string {
  if (session.kind === 'guest') return 'Guest';
  return (
    DEMO_CUSTOMERS.find((customer) => customer.id === session.customerId)?.name ??
    session.customerId
  );
}

/** A session read back from storage; anything malformed or expired is no session. */
export function parseSession(stored: string | null, now = Date.now()): Session | null {
  if (!stored) return null;
  try {
    const value = JSON.parse(stored) as Partial<Session> | null;
    if (
      (value?.kind !== 'customer' && value?.kind !== 'guest') ||
      typeof value.customerId !== 'string' ||
      typeof value.accessToken !== 'string' ||
      typeof value.expiresAt !== 'number'
    )
      return null;
    const session: Session = {
      kind: value.kind,
      customerId: value.customerId,
      accessToken: value.accessToken,
      expiresAt: value.expiresAt,
    };
    return isActive(session, now) ? session : null;
  } catch {
    return null;
  }
}
