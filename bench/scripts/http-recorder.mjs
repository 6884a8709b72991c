// Nanoseconds per request of the RED metrics recorder (httpRequestRecorder: started + finished),
// with the routes and statuses of a catalog hit mix. 7 turns of 1M requests, median.
//   ROOT=/path/to/checkout node bench/scripts/http-recorder.mjs
// An ad-hoc tool beside the bench (after pnpm build there).
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { createMetrics, httpRequestRecorder } = await import(`${root}/packages/metrics/dist/index.js`);
const recorder = httpRequestRecorder(createMetrics({ service: 'gateway' }));
const routes = ['/api/v1/products/:productId', '/api/v1/categories', '/api/v1/products'];
const statuses = [200, 200, 200, 304, 200, 404, 200, 200];
const N = 1_000_000;
const turn = () => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const startedAt = recorder.started();
    recorder.finished(startedAt, 'GET', routes[i % 3], statuses[i & 7]);
  }
  return Number(process.hrtime.bigint() - t0) / N;
};
const results = [];
for (let t = 0; t < 7; t++) results.push(turn());
results.sort((a, b) => a - b);
console.log(`${root}: ns per request, median of 7 turns: ${results[3].toFixed(0)} (min ${results[0].toFixed(0)}, max ${results[6].toFixed(0)})`);
