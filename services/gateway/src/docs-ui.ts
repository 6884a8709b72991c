import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';

// Resolved from the installed package, so the docs UI works offline and under a strict CSP.
const swaggerUiDirectory = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Mercato API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// A file rather than an inline script: helmet's Content-Security-Policy forbids inline scripts.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n`;

/** The Swagger UI at /docs, served from the swagger-ui-dist package (no CDN). */
export function docsRouter(): Router {
  const router = Router();
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('text/javascript').send(INIT_SCRIPT);
  });
  router.use('/docs', express.static(swaggerUiDirectory, { index: false, maxAge: '1h' }));
  return router;
}
