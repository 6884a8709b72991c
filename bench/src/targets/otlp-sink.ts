// Benchmark target: an OTLP/HTTP trace receiver that accepts every export and keeps only counts —
// the services' side of tracing is what the bench measures, not a backend's storage. GET /stats
// answers {"requests": n, "bytes": n}.
import { createServer } from 'node:http';
import { serveTarget } from './target-process.js';

let requests = 0;
let bytes = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ requests, bytes }));
    return;
  }
  if (request.method !== 'POST' || request.url !== '/v1/traces') {
    response.writeHead(404).end();
    return;
  }
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});

await serveTarget(server, async () => undefined);
