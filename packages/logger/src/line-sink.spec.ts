import { describe, expect, it } from '@jest/globals';
import { createLogger } from './create-logger.js';
import { lineSink } from './line-sink.js';
import { MemoryDestination } from './testing.js';

const fields = { requestId: 'req-1', req: { method: 'GET', url: '/a' }, res: { statusCode: 200 } };
const serialized = JSON.stringify(fields).slice(1, -1);

describe('lineSink', () => {
  it('writes the line the logger itself would write, key for key, in the same order', () => {
    const viaLogger = new MemoryDestination();
    const viaSink = new MemoryDestination();
    createLogger({ service: 'gateway', destination: viaLogger })
      .child({ component: 'edge' })
      .info(fields, 'request completed');
    lineSink(
      createLogger({ service: 'gateway', destination: viaSink }).child({ component: 'edge' }),
    ).write('info', serialized, 'request completed');
    const [expected] = viaLogger.records();
    const [written] = viaSink.records();
    expect(Object.keys(written!)).toEqual(Object.keys(expected!));
    expect({ ...written, time: undefined }).toEqual({ ...expected, time: undefined });
    expect(written!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('honours the logger level', () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', level: 'warn', destination }));
    expect(sink.enabled('info')).toBe(false);
    sink.write('info', serialized, 'quiet');
    sink.write('warn', serialized, 'heard');
    expect(destination.records().map((record) => record.msg)).toEqual(['heard']);
  });

  it('still masks a card number, wherever it is', () => {
    const destination = new MemoryDestination();
    lineSink(createLogger({ service: 's', destination })).write(
      'info',
      '"req":{"url":"/pay/4111 1111 1111 1111"}',
      'request completed',
    );
    expect(destination.text).not.toContain('4111 1111 1111 1111');
    expect(destination.records()[0]).toMatchObject({ req: { url: '/pay/[REDACTED]' } });
  });
});
