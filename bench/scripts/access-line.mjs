// Nanoseconds per access log line: the fast lane's record of a catalog hit, written by the gateway's
// accessLogWriter to a real logger (stdout; run with >/dev/null). 7 turns of 300k lines, median.
//   ROOT=/path/to/checkout node --max-semi-space-size=8 bench/scripts/access-line.mjs >/dev/null
// An ad-hoc tool beside the bench (after pnpm build there); prints one line on stderr.
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { accessLogWriter } = await import(`${root}/services/gateway/dist/edge/access-log.js`);
const { createLogger } = await import(`${root}/packages/logger/dist/index.js`);
const { randomUUID } = await import('node:crypto');
const logger = createLogger({ service: 'gateway', level: 'info' });
const write = accessLogWriter(logger);
const ids = Array.from({ length: 1024 }, () => randomUUID());
const N = 300_000;
const turn = () => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    write({ context: { requestId: ids[i & 1023], traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }, method: 'GET', path: '/api/v1/products/prd_bth_brs_bmb', route: '/api/v1/products/:productId', statusCode: 200, startedAt: performance.now() - 1.2 });
  }
  return Number(process.hrtime.bigint() - t0) / N;
};
const results = [];
for (let t = 0; t < 7; t++) results.push(turn());
results.sort((a, b) => a - b);
console.error(`${root}: ns per line, median of 7 turns: ${results[3].toFixed(0)} (min ${results[0].toFixed(0)}, max ${results[6].toFixed(0)})`);
process.exit(0);
