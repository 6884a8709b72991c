// Benchmark target (a): plain node:http answering every request with the product JSON the gateway
// serves — the ceiling for any Node.js HTTP service on this machine.
import { createServer } from 'node:http';
import { serveTarget, targetSettings } from './target-process.js';

const { body } = targetSettings<{ body: string }>();
const payload = Buffer.from(body);

const server = createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': payload.length,
  });
  response.end(payload);
});

await serveTarget(server, async () => undefined);
