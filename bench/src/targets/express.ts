// Benchmark target (g): a bare Express 5 app (the gateway's framework, nothing of the gateway's
// middleware) whose one route answers with the product JSON the gateway serves — the ceiling of
// the stack the gateway is built on.
import { createServer } from 'node:http';
import express from 'express';
import { serveTarget, targetSettings } from './target-process.js';

const { body } = targetSettings<{ body: string }>();
// Serialised per request by res.json, as the gateway's routes do; the bench checks the bytes.
const product = JSON.parse(body) as unknown;

const app = express();
app.disable('x-powered-by');
app.get('/api/v1/products/:id', (_request, response) => {
  response.json(product);
});

await serveTarget(createServer(app), async () => undefined);
