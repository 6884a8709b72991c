import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from './create-logger.js';
import { isoTime, lineSink } from './line-sink.js';
import { maskCardNumbers } from './redaction.js';
import { MemoryDestination } from './testing.js';

const fields = { requestId: 'req-1', req: { method: 'GET', url: '/a' }, res: { statusCode: 200 } };
const serialized = JSON.stringify(fields).slice(1, -1);

describe('lineSink', () => {
  it('writes the line the logger itself would write, key for key, in the same order', async () => {
    const viaLogger = new MemoryDestination();
    const viaSink = new MemoryDestination();
    createLogger({ service: 'gateway', destination: viaLogger })
      .child({ component: 'edge' })
      .info(fields, 'request completed');
    lineSink(
      createLogger({ service: 'gateway', destination: viaSink }).child({ component: 'edge' }),
    ).write('info', serialized, 'request completed');
    await sleep(150);
    const [expected] = viaLogger.records();
    const [written] = viaSink.records();
    expect(Object.keys(written!)).toEqual(Object.keys(expected!));
    expect({ ...written, time: undefined }).toEqual({ ...expected, time: undefined });
    expect(written!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('honours the logger level', async () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', level: 'warn', destination }));
    expect(sink.enabled('info')).toBe(false);
    sink.write('info', serialized, 'quiet');
    sink.write('warn', serialized, 'heard');
    sink.flush();
    expect(destination.records().map((record) => record.msg)).toEqual(['heard']);
  });

  it('masks card numbers in the strings it is given', async () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    sink.write(
      'info',
      `"req":{"url":${sink.text('/pay/4111 1111 1111 1111')}}`,
      'request completed',
    );
    sink.flush();
    expect(destination.text).not.toContain('4111 1111 1111 1111');
    expect(destination.records()[0]).toMatchObject({ req: { url: '/pay/[REDACTED]' } });
  });

  it('prints the time as toISOString does, across milliseconds, seconds and days', () => {
    const start = Date.UTC(2026, 11, 7, 23, 59, 58, 990);
    // In order, with repeats (lines sharing a millisecond), then jumps back and forth.
    const times = [
      ...Array.from({ length: 2_100 }, (_, n) => start + Math.floor(n / 2)),
      0,
      5,
      50,
      999,
      1_000,
      start,
      start - 86_400_000,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('quotes a string exactly as JSON.stringify of its card-masked text would', () => {
    const sink = lineSink(createLogger({ service: 's', destination: new MemoryDestination() }));
    const cases = [
      'req-1',
      '/api/v1/products/prd_bth_brs_bmb',
      'b26e8b93-b509-4382-bc56-e057e0e7adcc',
      '12345678-1234-1234-1234-123456789012',
      '/pay/4111 1111 1111 1111',
      '/pay/4111-1111-1111-1111/x',
      '4111111111111111',
      '411111111111',
      'say "hi"\\ and\n',
      'ünïcødé €',
      '',
    ];
    // …and random texts of digits, separators, letters and characters JSON escapes.
    const alphabet = '0123456789 -a"\\\u0001é';
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let n = 0; n < 3_000; n += 1)
      cases.push(
        Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
          random() < 0.7
            ? String(Math.floor(random() * 10))
            : alphabet[Math.floor(random() * alphabet.length)],
        ).join(''),
      );
    for (const value of cases)
      expect(sink.text(value)).toBe(JSON.stringify(maskCardNumbers(value)));
  });

  it('hands lines over together, in order, within 100 ms', async () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    for (let line = 0; line < 5; line++) sink.write('info', `"n":${line}`, 'line');
    expect(destination.text).toBe('');
    await sleep(150);
    expect(destination.records().map((record) => record.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('hands lines over at once when the next would not fit in 64 KiB', () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    const filler = sink.text('x'.repeat(1_000));
    sink.write('info', `"n":0,"filler":${filler}`, 'line');
    sink.flush();
    const lineBytes = Buffer.byteLength(destination.text);
    for (let line = 1; line < 70; line++)
      sink.write('info', `"n":${line},"filler":${filler}`, 'line');
    // One line, then as many of the same size as fit in 64 KiB, handed over without waiting.
    expect(destination.records()).toHaveLength(1 + Math.floor((64 * 1024) / lineBytes));
    sink.flush();
    expect(destination.records().map((record) => record.n)).toEqual([...Array(70).keys()]);
  });

  it('keeps text beyond ASCII intact, and a line longer than 64 KiB whole and in order', () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    sink.write('info', `"name":${sink.text('Crème brûlée — 東京 🍮')}`, 'short');
    sink.write('info', `"name":${sink.text('é'.repeat(40_000))}`, 'long');
    sink.write('info', `"name":${sink.text('after')}`, 'short');
    sink.flush();
    expect(destination.records().map((record) => record.name)).toEqual([
      'Crème brûlée — 東京 🍮',
      'é'.repeat(40_000),
      'after',
    ]);
  });

  it('defers a line: built later, in order, with the time and `at` of the moment it was asked for', async () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    const asked: number[] = [];
    const before = Date.now();
    const atBefore = performance.now();
    for (let n = 0; n < 3; n++)
      sink.defer('info', n, (value, at) => (asked.push(at), `"n":${value}`), 'deferred');
    const atAfter = performance.now();
    const after = Date.now();
    expect(asked).toEqual([]);
    // Built within 10 ms of the first (a busy machine may run the timer later), without a flush.
    for (let waited = 0; asked.length < 3 && waited < 2_000; waited += 10) await sleep(10);
    expect(asked).toHaveLength(3);
    for (const at of asked) {
      expect(at).toBeGreaterThanOrEqual(atBefore);
      expect(at).toBeLessThanOrEqual(atAfter);
    }
    sink.flush();
    const records = destination.records();
    expect(records.map((record) => record.n)).toEqual([0, 1, 2]);
    for (const record of records) {
      const time = Date.parse(record.time as string);
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
  });

  it('builds deferred lines at once when 256 wait, and every one of them on flush', () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', destination }));
    let built = 0;
    const fields = (value: number) => ((built += 1), `"n":${value}`);
    for (let n = 0; n < 300; n++) sink.defer('info', n, fields, 'deferred');
    expect(built).toBe(256);
    sink.flush();
    expect(built).toBe(300);
    expect(destination.records().map((record) => record.n)).toEqual([...Array(300).keys()]);
  });

  it('never builds a deferred line of a level the logger does not write', () => {
    const destination = new MemoryDestination();
    const sink = lineSink(createLogger({ service: 's', level: 'warn', destination }));
    let built = 0;
    sink.defer('info', 1, () => ((built += 1), '"n":1'), 'quiet');
    sink.flush();
    expect(built).toBe(0);
    expect(destination.text).toBe('');
  });

  it('loses no line when the process exits in the same turn', () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = `const { createLogger, lineSink } = await import(${JSON.stringify(dist)});
      const sink = lineSink(createLogger({ service: 'exit-test' }));
      for (let n = 0; n < 3; n++) sink.write('info', '"n":' + n, 'before exit');
      for (let n = 3; n < 5; n++) sink.defer('info', n, (value) => '"n":' + value, 'deferred');
      process.exit(0);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { n: number });
    expect(lines.map((line) => line.n)).toEqual([0, 1, 2, 3, 4]);
  });
});
