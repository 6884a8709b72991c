/**
 * A fresh Idempotency-Key for one checkout. getRandomValues rather than randomUUID: the latter
 * exists only in secure contexts, and a development shop may be served over plain HTTP.
 */
export function newIdempotencyKey(
  crypto: Pick<Crypto, 'getRandomValues'> = globalThis.crypto,
): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `checkout-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
