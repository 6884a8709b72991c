import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedResponse } from './catalog-cache.js';

// Revalidate every time (stock moves), but any cache may keep the bytes for a 304.
export const CATALOG_CACHE_CONTROL = 'public, no-cache';

/** Whether an If-None-Match header matches `etag` (weak comparison, as RFC 9110 asks for GET). */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

/**
 * Sends a catalog response: its strong ETag and cache policy, then 304 with no body when the
 * client's If-None-Match matches, else 200 with the JSON bytes. Both lanes of the gateway (Express
 * and the catalog fast lane) answer through this one function.
 */
export function writeCatalogResponse(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Pick<CachedResponse, 'body' | 'etag'>,
): void {
  res.setHeader('ETag', entry.etag);
  res.setHeader('Cache-Control', CATALOG_CACHE_CONTROL);
  if (ifNoneMatchMatches(req.headers['if-none-match'], entry.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', entry.body.length);
  res.end(entry.body);
}
