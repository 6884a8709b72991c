import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Located through the package's own package.json rather than relative to this module: the module
// runs from server/ in the workspace (tests) and from dist/server/ once built, and the built
// files sit in dist/client/ either way.
const packageRoot = dirname(
  createRequire(import.meta.url).resolve('@mercato/storefront/package.json'),
);

/** Absolute path of the built storefront: index.html and the content-hashed files in assets/. */
export function storefrontDirectory(): string {
  return join(packageRoot, 'dist', 'client');
}

/** Folder (below the storefront directory) of the content-hashed files, safe to cache forever. */
export const HASHED_ASSETS_FOLDER = 'assets';
