// Nanoseconds per access log line: the fast lane's record of a catalog hit, written by the gateway's
// accessLogWriter to a real logger (stdout; run with >/dev/null). 7 turns of 300k lines, median.
//   ROOT=/path/to/checkout node --max-semi-space-size=8 bench/scripts/access-line.mjs >/dev/null
// An ad-hoc tool beside the bench (after pnpm build there); prints one line on stderr.
import { describeTurns, timeTurns } from './turns.mjs';
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { accessLogWriter } = await import(`${root}/services/gateway/dist/edge/access-log.js`);
const { createLogger } = await import(`${root}/packages/logger/dist/index.js`);
const { randomUUID } = await import('node:crypto');
const logger = createLogger({ service: 'gateway', level: 'info' });
const write = accessLogWriter(logger);
const ids = Array.from({ length: 1024 }, () => randomUUID());
const N = 300_000;
const results = timeTurns((i) => {
  write({
    context: {
      requestId: ids[i & 1023],
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
    },
    method: 'GET',
    path: '/api/v1/products/prd_bth_brs_bmb',
    route: '/api/v1/products/:productId',
    statusCode: 200,
    startedAt: performance.now() - 1.2,
  });
}, N);
console.error(`${root}: ns per line, ${describeTurns(results)}`);
process.exit(0);
