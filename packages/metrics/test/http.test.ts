import { type Server } from 'node:http';
import { once } from 'node:events';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { type Registry } from 'prom-client';
import { createMetrics, httpMetricsMiddleware, metricsHandler, nameRoute } from '../src/index.js';
import {
  findSamples,
  parseExposition,
  promtoolCheckMetrics,
  sampleValue,
  type Sample,
} from './support/exposition.js';

const DURATION = 'http_server_request_duration_seconds';

describe('HTTP metrics on a real Express server', () => {
  let server: Server;
  let baseUrl: string;
  let registry: Registry;
  let scrape: Response;
  let exposition: string;
  let samples: Sample[];

  beforeAll(async () => {
    registry = createMetrics({ service: 'catalog-test' });
    const app = express();
    app.use(httpMetricsMiddleware(registry));
    app.get('/metrics', metricsHandler(registry));
    app.get('/products/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    const orders = express.Router();
    orders.get('/orders/:orderId', (req, res) => {
      res.json({ id: req.params.orderId });
    });
    orders.post('/orders', (_req, res) => {
      res.status(201).json({ id: 'o-1' });
    });
    app.use('/api/v1', orders);
    let markSlowStarted: () => void = () => undefined;
    let markSlowClosed: () => void = () => undefined;
    const slowStarted = new Promise<void>((resolve) => (markSlowStarted = resolve));
    const slowClosed = new Promise<void>((resolve) => (markSlowClosed = resolve));
    app.get('/reports/:id', (_req, res) => {
      // Never answers: the client gives up first.
      res.on('close', markSlowClosed);
      markSlowStarted();
    });
    app.all('/any/:id', (_req, res) => {
      res.status(202).end();
    });
    app.get('/broken/:id', () => {
      throw new Error('handler bug');
    });
    // Middleware that answers by itself, as static files or a single-page app's pages do.
    app.use('/app', (_req, res) => {
      nameRoute(res, 'app');
      res.send('<!doctype html>');
    });
    app.use(
      (
        _error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).json({ error: 'internal' });
      },
    );

    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const responses = [
      await fetch(`${baseUrl}/products/p-1`),
      await fetch(`${baseUrl}/products/p-2`),
      await fetch(`${baseUrl}/api/v1/orders/o-42`),
      await fetch(`${baseUrl}/api/v1/orders`, { method: 'POST' }),
      await fetch(`${baseUrl}/no/such/path/123`),
      await fetch(`${baseUrl}/broken/9`),
      await fetch(`${baseUrl}/app/orders/o-42`),
      await fetch(`${baseUrl}/app/cart`),
      await fetch(`${baseUrl}/any/a-1`, { method: 'PROPFIND' }),
      await fetch(`${baseUrl}/any/a-2`, { method: 'PURGE' }),
      await fetch(`${baseUrl}/any/a-3`, { method: 'DELETE' }),
    ];
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    expect(responses.map((response) => response.status)).toEqual([
      200, 200, 200, 201, 404, 500, 200, 200, 202, 202, 202,
    ]);

    const abandon = new AbortController();
    const abandoned = fetch(`${baseUrl}/reports/r-7`, { signal: abandon.signal });
    await slowStarted;
    abandon.abort();
    await expect(abandoned).rejects.toThrow();
    await slowClosed;

    scrape = await fetch(`${baseUrl}/metrics`);
    exposition = await scrape.text();
    samples = parseExposition(exposition);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the Prometheus text format, uncached', () => {
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scrape.headers.get('cache-control')).toBe('no-store');
  });

  it('records both ids of a templated route in one series', () => {
    const series = findSamples(samples, `${DURATION}_count`, { route: '/products/:id' });

    expect(series).toEqual([
      {
        name: `${DURATION}_count`,
        labels: {
          method: 'GET',
          route: '/products/:id',
          status_code: '200',
          service: 'catalog-test',
        },
        value: 2,
      },
    ]);
    expect(exposition).not.toContain('p-1');
    expect(exposition).not.toContain('p-2');
  });

  it('joins the mount path of a router with the route template', () => {
    expect(
      sampleValue(samples, `${DURATION}_count`, {
        route: '/api/v1/orders/:orderId',
        method: 'GET',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, `${DURATION}_count`, {
        route: '/api/v1/orders',
        method: 'POST',
        status_code: '201',
      }),
    ).toBe(1);
    expect(exposition).not.toContain('o-42');
  });

  it('labels requests no route matched as "unmatched", and errors by their status', () => {
    expect(
      sampleValue(samples, `${DURATION}_count`, { route: 'unmatched', status_code: '404' }),
    ).toBe(1);
    expect(exposition).not.toContain('/no/such/path');
    expect(
      sampleValue(samples, `${DURATION}_count`, { route: '/broken/:id', status_code: '500' }),
    ).toBe(1);
  });

  it('labels what middleware answered under the name it gave with nameRoute', () => {
    expect(sampleValue(samples, `${DURATION}_count`, { route: 'app', status_code: '200' })).toBe(2);
    expect(exposition).not.toContain('/app/cart');
  });

  it('labels methods beyond the standard ones as _OTHER, so clients cannot mint series', () => {
    const route = { route: '/any/:id', status_code: '202' };
    expect(sampleValue(samples, `${DURATION}_count`, { ...route, method: '_OTHER' })).toBe(2);
    expect(sampleValue(samples, `${DURATION}_count`, { ...route, method: 'DELETE' })).toBe(1);
    expect(exposition).not.toMatch(/PROPFIND|PURGE/);
  });

  it('labels requests the client abandoned with status 499', () => {
    expect(
      sampleValue(samples, `${DURATION}_count`, { route: '/reports/:id', status_code: '499' }),
    ).toBe(1);
  });

  it('counts the scrape itself as the one request in flight', () => {
    expect(sampleValue(samples, 'http_server_requests_in_flight')).toBe(1);
  });

  it('exports default process metrics with the service label', () => {
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(findSamples(samples, 'nodejs_heap_size_used_bytes')[0]?.labels.service).toBe(
      'catalog-test',
    );
  });

  it('passes promtool check metrics', async () => {
    await expect(promtoolCheckMetrics(exposition)).resolves.toEqual({ exitCode: 0, output: '' });
  });
});
