import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import express, { Router, type Request } from 'express';
import { nameRoute } from '@mercato/metrics';
import { HASHED_ASSETS_FOLDER } from '@mercato/storefront';

/** Cache policy of content-hashed files: a new build gets new names, so they never change. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache policy of index.html and other unhashed files: always revalidated (ETag). */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';

/** The route label of the storefront's requests in the HTTP metrics and the access log. */
export const STOREFRONT_ROUTE = 'storefront';

// Never answered with the storefront: the API, its document and docs, and the operational
// endpoints keep their own answers (and their problem+json 404s).
const NOT_STOREFRONT = /^\/(?:api|health|metrics|openapi\.json|docs)(?:\/|$)/;

/**
 * True for a browser navigating to a page, not for an API client asking for JSON or anything. The
 * shop's front door, `/`, is the page for anyone who does not ask for JSON: `curl` (`*\/*`) too.
 */
const wantsPage = (req: Request) =>
  req.path === '/'
    ? req.accepts(['text/html', 'application/json']) === 'text/html'
    : req.accepts(['application/json', 'text/html']) === 'text/html';

/**
 * Serves the built storefront: its files as they are, and index.html for every other page
 * navigation (`/products/…`, `/orders/…`), whose routes the single-page app resolves. Returns
 * undefined when the directory holds no build (`pnpm build` has not run), so the gateway still
 * serves its API.
 */
export function storefrontRouter(directory: string): Router | undefined {
  const indexFile = join(directory, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const hashedAssets = `/${HASHED_ASSETS_FOLDER}/`;
  const hashedPrefix = join(directory, HASHED_ASSETS_FOLDER) + sep;

  const router = Router();
  router.use((req, res, next) => {
    if (NOT_STOREFRONT.test(req.path)) {
      next('router');
      return;
    }
    // One series for every file and page of the storefront, whatever the path.
    nameRoute(res, STOREFRONT_ROUTE);
    next();
  });
  router.use(
    express.static(directory, {
      index: false,
      redirect: false,
      setHeaders(res, path) {
        res.setHeader(
          'Cache-Control',
          path.startsWith(hashedPrefix) ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL,
        );
      },
    }),
  );
  // Middleware rather than a route: the pages are the app's, not operations of the gateway.
  router.use((req, res, next) => {
    // A missing hashed file stays a 404: index.html in its place would be run as a script by a
    // page of an older build.
    const isPageRequest =
      (req.method === 'GET' || req.method === 'HEAD') &&
      !req.path.startsWith(hashedAssets) &&
      wantsPage(req);
    if (!isPageRequest) {
      next();
      return;
    }
    res.setHeader('Cache-Control', REVALIDATE_CACHE_CONTROL);
    // Relative to `root`: given an absolute path, send refuses any with a dot-directory in it, and
    // in the image the build lives under node_modules/.pnpm.
    res.sendFile('index.html', { root: directory, cacheControl: false }, (error) => {
      if (error) next(error);
    });
  });
  return router;
}
