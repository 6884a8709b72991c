import { afterAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import request from 'supertest';
import { createServer } from '../src/server.js';
import { gatewayConfig } from './support/shop.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD path` the Express app has a route for, found by walking its router stacks. */
function registeredRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          found.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

describe('OpenAPI document and docs UI', () => {
  // No backend is needed: nothing here calls one.
  const gateway = createServer({ config: gatewayConfig({ product: 1, order: 1, payment: 1 }) });
  afterAll(() => gateway.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await request(gateway.app).get('/openapi.json').expect(200);
    const validator = new Validator();
    const result = await validator.validate(response.body as Parameters<Validator['validate']>[0]);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every API route the app serves, and nothing else', async () => {
    const document = (await request(gateway.app).get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      )
      .sort();
    const served = registeredRoutes(gateway.app);
    expect(served.filter((route) => route.includes(' /api/')).sort()).toEqual(documented);
    // The rest is operational, outside the versioned API (GET /: the index of the shop's URLs).
    expect(served.filter((route) => !route.includes(' /api/')).sort()).toEqual([
      'GET /',
      'GET /docs',
      'GET /docs/init.js',
      'GET /health/live',
      'GET /health/ready',
      'GET /health/startup',
      'GET /metrics',
      'GET /openapi.json',
    ]);
    expect(documented).toHaveLength(9);
  });

  it('serves the docs UI from the swagger-ui-dist package', async () => {
    const page = await request(gateway.app).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    const bundle = await request(gateway.app).get('/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const init = await request(gateway.app).get('/docs/init.js').expect(200);
    expect(init.text).toContain("url: '/openapi.json'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('answers unknown paths with 404 problem+json', async () => {
    const response = await request(gateway.app).get('/api/v1/nothing-here').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Not found' });
  });
});
