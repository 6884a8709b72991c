import { performance } from 'node:perf_hooks';
import { describe, expect, it } from '@jest/globals';
import { createLogger, lineSink } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import { accessLogWriter } from './access-log.js';

const context = {
  requestId: 'req-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
};

async function linesOf(records: Parameters<ReturnType<typeof accessLogWriter>>[0][]) {
  const destination = new MemoryDestination();
  const logger = createLogger({ service: 'gateway', destination });
  const write = accessLogWriter(logger);
  for (const record of records) write(record);
  lineSink(logger).flush();
  return destination.records();
}

describe('accessLogWriter', () => {
  it('writes one line per request in pino-http shape, with the correlation and the level by status', async () => {
    const startedAt = performance.now();
    const request = {
      context,
      method: 'GET',
      path: '/api/v1/products/p1',
      route: '/api/v1/products/:productId',
      startedAt,
    };
    const lines = await linesOf([
      { ...request, statusCode: 200 },
      { ...request, statusCode: 404 },
      { ...request, statusCode: 503 },
      { ...request, statusCode: undefined },
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'gateway',
      requestId: context.requestId,
      trace_id: context.traceId,
      span_id: context.spanId,
      req: { method: 'GET', url: '/api/v1/products/p1', route: '/api/v1/products/:productId' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(typeof lines[0]!.responseTime).toBe('number');
    expect(lines.map((line) => line.level)).toEqual(['info', 'warn', 'error', 'warn']);
    expect(lines[3]).toMatchObject({ res: { statusCode: 499 }, msg: 'request aborted' });
  });

  it('gives the duration and the time of the moment the request was recorded, not of the write', async () => {
    const destination = new MemoryDestination();
    const logger = createLogger({ service: 'gateway', destination });
    const write = accessLogWriter(logger);
    const startedAt = performance.now() - 50;
    const [before, atBefore] = [Date.now(), performance.now()];
    write({
      context,
      method: 'GET',
      path: '/api/v1/categories',
      route: '/api/v1/categories',
      statusCode: 200,
      startedAt,
    });
    const [atAfter, after] = [performance.now(), Date.now()];
    // The line is built at least 10 ms later, with the other lines of that moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    lineSink(logger).flush();
    const [line] = destination.records();
    expect(line!.responseTime).toBeGreaterThanOrEqual(Math.round(atBefore - startedAt));
    expect(line!.responseTime).toBeLessThanOrEqual(Math.round(atAfter - startedAt));
    expect(Date.parse(line!.time as string)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(line!.time as string)).toBeLessThanOrEqual(after);
  });

  it('masks a card number the client put in the path or the request id', async () => {
    const [line] = await linesOf([
      {
        context: { requestId: '4111-1111-1111-1111' },
        method: 'GET',
        path: '/api/v1/products/4111111111111111',
        route: 'unmatched',
        statusCode: 404,
        startedAt: performance.now(),
      },
    ]);
    expect(JSON.stringify(line)).not.toMatch(/4111-?1111-?1111-?1111/);
    expect(line).toMatchObject({
      requestId: '[REDACTED]',
      req: { url: '/api/v1/products/[REDACTED]' },
    });
  });
});
