// The load generator's own CPU per request, for side-by-side runs of two checkouts' ApiClient.
//   ROOT=/path/to/checkout node bench/scripts/loadgen-client.mjs [REQUESTS] [BYTES]
// A node:http server in a child process answers every GET with BYTES of JSON (default 30,000, the
// size of the order journey's 100-product page); this process sends REQUESTS (default 20,000)
// through ROOT's ApiClient, 16 at a time, and prints its own CPU time (user + system) per request.
// Not part of `pnpm bench`: an ad-hoc tool.
import { fork } from 'node:child_process';
import { once } from 'node:events';

const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const requests = Number(process.argv[2] ?? 20_000);
const bytes = Number(process.argv[3] ?? 30_000);

if (process.argv[4] === 'serve') {
  const { createServer } = await import('node:http');
  const body = JSON.stringify({ products: 'x'.repeat(Math.max(0, bytes - 16)) });
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const child = fork(new URL(import.meta.url).pathname, [String(requests), String(bytes), 'serve']);
  const [port] = await once(child, 'message');
  const { ApiClient } = await import(`${root}/tools/loadgen/dist/http.js`);
  const { LoadStats } = await import(`${root}/tools/loadgen/dist/stats.js`);
  const api = new ApiClient(
    `http://127.0.0.1:${port}`,
    new LoadStats(Date.now()),
    new AbortController().signal,
    10_000,
  );
  const run = async (count) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const result = await api.call('getProduct', 'GET', '/api/v1/products/p', {
          token: 'token',
        });
        if (result.kind !== 'response' || !result.ok) throw new Error(JSON.stringify(result));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  };
  await run(2_000); // warm-up
  const before = process.cpuUsage();
  const started = performance.now();
  await run(requests);
  const used = process.cpuUsage(before);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    'RESULT ' +
      JSON.stringify({
        root,
        requests,
        bytes,
        cpuUsPerRequest: Math.round((used.user + used.system) / requests),
        requestsPerSecond: Math.round(requests / seconds),
      }),
  );
  api.close?.();
  child.kill();
}
