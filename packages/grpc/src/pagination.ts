import { invalidArgument } from './errors.js';

/** An opaque page token for the next page starting at `offset` (base64url JSON). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

/** The offset a page token stands for (0 for none); INVALID_ARGUMENT on page_token otherwise. */
export function decodePageToken(token: string): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString()) as {
      offset: unknown;
    };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Not JSON: reported below like any other forged token.
  }
  throw invalidArgument([{ field: 'page_token', description: 'is not a token this API issued' }]);
}
