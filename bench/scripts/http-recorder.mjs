// Nanoseconds per request of the RED metrics recorder (httpRequestRecorder: started + finished),
// with the routes and statuses of a catalog hit mix. 7 turns of 1M requests, median.
//   ROOT=/path/to/checkout node bench/scripts/http-recorder.mjs
// An ad-hoc tool beside the bench (after pnpm build there).
import { describeTurns, timeTurns } from './turns.mjs';
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { createMetrics, httpRequestRecorder } = await import(
  `${root}/packages/metrics/dist/index.js`
);
const recorder = httpRequestRecorder(createMetrics({ service: 'gateway' }));
const routes = ['/api/v1/products/:productId', '/api/v1/categories', '/api/v1/products'];
const statuses = [200, 200, 200, 304, 200, 404, 200, 200];
const N = 1_000_000;
const results = timeTurns((i) => {
  const startedAt = recorder.started();
  recorder.finished(startedAt, 'GET', routes[i % 3], statuses[i & 7]);
}, N);
console.log(`${root}: ns per request, ${describeTurns(results)}`);
