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

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends a catalog response: its strong ETag and cache policy, then 304 with no body when the
 * client's If-None-Match matches, else 200 with the JSON bytes. Both lanes of the gateway (Express
 * and the catalog fast lane) answer through this one function.
 *
 * `headers` are the headers to send before the catalog's own, as a flat name, value, name, value …
 * list, which this function extends and hands to one `writeHead`. On a response with no header set
 * yet (the fast lane's) Node.js writes such a list as it is, where a `setHeader` each would store
 * every header in the response's header object for `writeHead` to walk — with the twenty headers of
 * a catalog answer, a quarter of the cost of a small response (bench/README.md). On a response
 * whose middleware has set headers already (the Express lane's), Node.js adds the list after them.
 */
export function writeCatalogResponse(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Pick<CachedResponse, 'body' | 'etag'>,
  headers: string[] = [],
): void {
  headers.push('ETag', entry.etag, 'Cache-Control', CATALOG_CACHE_CONTROL);
  if (ifNoneMatchMatches(req.headers['if-none-match'], entry.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers.push('Content-Type', JSON_CONTENT_TYPE, 'Content-Length', String(entry.body.length));
  res.writeHead(200, headers);
  res.end(entry.body);
}
