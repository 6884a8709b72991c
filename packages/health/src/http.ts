import { Router, type Response } from 'express';
import { type Health } from './health.js';

/** Options of the probe router. */
export interface HealthRouterOptions {
  /** Path prefix of the three probes. Default: `/health`. */
  basePath?: string;
}

/**
 * Express router with the Kubernetes probes: `GET {basePath}/live`, `/ready` and `/startup`.
 * Mount it with `app.use(createHealthRouter(health))` in Express or in a NestJS Express app.
 */
export function createHealthRouter(health: Health, options: HealthRouterOptions = {}): Router {
  const basePath = options.basePath ?? '/health';
  const router = Router();

  // Liveness stays green while draining: a failing liveness probe would make Kubernetes kill the
  // process in the middle of its graceful shutdown.
  router.get(`${basePath}/live`, (_req, res) => {
    sendProbe(res, 200, { status: 'ok' });
  });

  router.get(`${basePath}/startup`, (_req, res) => {
    const started = health.state !== 'starting';
    sendProbe(res, started ? 200 : 503, { status: started ? 'started' : 'starting' });
  });

  router.get(`${basePath}/ready`, async (_req, res) => {
    const report = await health.checkReadiness();
    sendProbe(res, report.status === 'ready' ? 200 : 503, report);
  });

  return router;
}

function sendProbe(res: Response, statusCode: number, body: object): void {
  res.status(statusCode).set('Cache-Control', 'no-store').json(body);
}
