import { defineConfig } from 'vite';
import { HASHED_ASSETS_FOLDER } from './server/index.js';

// The page is served by the gateway under a strict Content-Security-Policy (script-src 'self'):
// Vite's output is external, content-hashed module scripts only, which that policy allows. No CDN and
// no web fonts: everything the page needs is in the bundle, so the shop also works offline.
export default defineConfig({
  root: 'src',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    assetsDir: HASHED_ASSETS_FOLDER,
    target: 'es2022',
    sourcemap: true,
  },
});
