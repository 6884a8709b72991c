import { type RequestHandler } from 'express';
import { type Registry } from 'prom-client';

/** Express handler serving the registry in the Prometheus text format: `app.get('/metrics', metricsHandler(registry))`. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res
      .status(200)
      .set('Content-Type', registry.contentType)
      .set('Cache-Control', 'no-store')
      .send(body);
  };
}
