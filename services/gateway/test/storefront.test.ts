import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import request from 'supertest';
import { createServer } from '../src/server.js';
import { gatewayConfig } from './support/shop.js';

const PROBLEM = /^application\/problem\+json/;
// What a browser sends when it navigates to a page.
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

// These use the storefront that turbo builds before the gateway's tests (`test` depends on `build`).
describe('the storefront at /', () => {
  // No backend is needed: nothing here calls one.
  const gateway = createServer({ config: gatewayConfig({ product: 1, order: 1, payment: 1 }) });
  afterAll(() => gateway.close());

  const scriptsOf = (html: string) => [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);

  it('serves index.html, revalidated on every load, under a CSP without inline scripts', async () => {
    const page = await request(gateway.app).get('/').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.etag).toBeDefined();
    expect(page.text).toContain('<div id="app"></div>');

    const csp = page.headers['content-security-policy'] ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1];
    expect(scriptSrc).toBe("'self'");
    // Every script is an external file of the bundle: the CSP would block an inline one.
    const scripts = scriptsOf(page.text);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/\ssrc="\/assets\/[^"]+\.js"/);

    const revalidated = await request(gateway.app)
      .get('/')
      .set('Accept', BROWSER_ACCEPT)
      .set('If-None-Match', page.headers.etag!);
    expect(revalidated.status).toBe(304);
  });

  it('serves the content-hashed assets as immutable, with their media types', async () => {
    const page = await request(gateway.app).get('/').set('Accept', BROWSER_ACCEPT).expect(200);
    const script = /<script[^>]*src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    const stylesheet = /<link[^>]*href="(\/assets\/[^"]+\.css)"/.exec(page.text)?.[1];
    expect(script).toMatch(/-[\w-]{8,}\.js$/);
    expect(stylesheet).toMatch(/-[\w-]{8,}\.css$/);

    const js = await request(gateway.app).get(script!).expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.text.length).toBeGreaterThan(1000);

    const css = await request(gateway.app).get(stylesheet!).expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const icon = await request(gateway.app).get('/favicon.svg').expect(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers page navigations of the single-page app with index.html', async () => {
    for (const path of ['/products/some-id', '/orders/123', '/cart', '/checkout?x=1']) {
      const page = await request(gateway.app).get(path).set('Accept', BROWSER_ACCEPT).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.text).toContain('<div id="app"></div>');
    }
  });

  it('is the front door: / is the page for curl and any client that does not ask for JSON', async () => {
    for (const accept of ['*/*', undefined]) {
      const agent = request(gateway.app).get('/');
      const page = await (accept === undefined ? agent : agent.set('Accept', accept)).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<div id="app"></div>');
    }
    const index = await request(gateway.app).get('/').set('Accept', 'application/json').expect(200);
    expect(index.body).toEqual({
      service: 'gateway',
      links: {
        storefront: '/',
        api: '/api/v1/products',
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health/ready',
        metrics: '/metrics',
      },
    });
  });

  it('keeps problem+json 404s for the API, missing assets and non-page requests', async () => {
    const notPages: ['get' | 'post' | 'delete', string, string][] = [
      ['get', '/api/v1/nothing-here', BROWSER_ACCEPT],
      ['get', '/api/v2/products', BROWSER_ACCEPT],
      ['get', '/health/nothing-here', BROWSER_ACCEPT],
      ['get', '/docs/nothing-here.js', BROWSER_ACCEPT],
      ['get', '/assets/index-00000000.js', BROWSER_ACCEPT],
      ['get', '/products/some-id', 'application/json'],
      ['get', '/products/some-id', '*/*'],
      ['post', '/cart', BROWSER_ACCEPT],
      ['delete', '/orders/123', BROWSER_ACCEPT],
    ];
    for (const [method, path, accept] of notPages) {
      const agent = request(gateway.app);
      const response = await agent[method](path).set('Accept', accept);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(response.headers['content-type']).toMatch(PROBLEM);
    }
  });

  it('counts its files and pages as one route, "storefront", in the HTTP metrics', async () => {
    await request(gateway.app).get('/orders/9f2c').set('Accept', BROWSER_ACCEPT).expect(200);
    await request(gateway.app).get('/favicon.svg').expect(200);
    await request(gateway.app).get('/api/v1/nothing-here').expect(404);
    const exposition = (await request(gateway.app).get('/metrics').expect(200)).text;
    const count = (route: string, status: string) =>
      exposition
        .split('\n')
        .filter((line) => line.startsWith('http_server_request_duration_seconds_count{'))
        .filter((line) => line.includes(`route="${route}"`))
        .filter((line) => line.includes(`status_code="${status}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(count('storefront', '200')).toBeGreaterThanOrEqual(2);
    expect(count('unmatched', '404')).toBeGreaterThanOrEqual(1);
    expect(exposition).not.toContain('9f2c');
    expect(exposition).not.toContain('favicon');
  });

  it('leaves the API, the document, the docs and the probes as they were', async () => {
    const orders = await request(gateway.app)
      .get('/api/v1/orders')
      .set('Accept', BROWSER_ACCEPT)
      .expect(401);
    expect(orders.headers['content-type']).toMatch(PROBLEM);
    await request(gateway.app).get('/openapi.json').set('Accept', BROWSER_ACCEPT).expect(200);
    const docs = await request(gateway.app).get('/docs').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(docs.text).toContain('swagger-ui');
    await request(gateway.app).get('/health/live').set('Accept', BROWSER_ACCEPT).expect(200);
  });
});

describe('a gateway whose storefront is not built', () => {
  const empty = mkdtempSync(join(tmpdir(), 'storefront-unbuilt-'));
  const logs = new MemoryDestination();
  const gateway = createServer({
    config: gatewayConfig({ product: 1, order: 1, payment: 1 }),
    logger: createLogger({ service: 'gateway', level: 'warn', destination: logs }),
    storefrontDirectory: empty,
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('says so at start-up and still serves its API', async () => {
    expect(logs.records().map((record) => record.msg)).toContain(
      'the storefront is not built (pnpm build); only the API is served',
    );
    // curl still gets an answer at the front door: where the API, docs and probes are.
    const index = await request(gateway.app).get('/').set('Accept', '*/*').expect(200);
    expect(index.headers['content-type']).toMatch(/^text\/plain/);
    expect(index.text).toBe(
      'Mercato gateway (the storefront is not built: pnpm build)\n\n' +
        'api         /api/v1/products\ndocs        /docs\nopenapi     /openapi.json\n' +
        'health      /health/ready\nmetrics     /metrics\n',
    );
    const deepLink = await request(gateway.app).get('/orders/1').set('Accept', BROWSER_ACCEPT);
    expect(deepLink.status).toBe(404);
    expect(deepLink.headers['content-type']).toMatch(PROBLEM);
    await request(gateway.app).get('/openapi.json').expect(200);
  });
});
