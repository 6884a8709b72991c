import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** A response header, name and value. */
export type Header = readonly [name: string, value: string];

/**
 * The headers helmet sets with these options, read once: helmet's headers do not depend on the
 * request, so they are computed at start-up and the request path only copies them (one loop
 * instead of a dozen middleware calls per request). Helmet stays the source of what they are.
 */
export function securityHeaders(options: HelmetOptions): readonly Header[] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string) {
      headers.set(name, String(value));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader(name: string) {
      return headers.get(name);
    },
  };
  let called = false;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed', { cause: error });
    called = true;
  });
  // Helmet is synchronous; if a version ever is not, the headers above would be incomplete.
  if (!called) throw new Error('helmet did not finish synchronously; the headers are unknown');
  return [...headers];
}

/** Sets the given headers on every response. */
export function staticHeaders(headers: readonly Header[]): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
