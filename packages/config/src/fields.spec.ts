import { describe, expect, it } from '@jest/globals';
import { type z } from 'zod';
import {
  bool,
  csvList,
  duration,
  ratio,
  integer,
  logLevel,
  nodeEnv,
  oneOf,
  port,
  secret,
  url,
} from './fields.js';

function accepts(schema: z.ZodType, raw: string): unknown {
  const result = schema.safeParse(raw);
  if (!result.success) throw new Error(`rejected '${raw}': ${result.error.message}`);
  return result.data;
}

function rejectionOf(schema: z.ZodType, raw: string): string {
  const result = schema.safeParse(raw);
  if (result.success) throw new Error(`accepted '${raw}'`);
  return result.error.issues.map((issue) => issue.message).join('; ');
}

describe('port', () => {
  it.each([
    ['1', 1],
    ['8080', 8080],
    [' 65535 ', 65_535],
  ])('reads %p as %p', (raw, expected) => {
    expect(accepts(port(), raw)).toBe(expected);
  });

  it.each(['0', '65536', 'abc', '80.5', '-1', ''])('rejects %p', (raw) => {
    expect(rejectionOf(port(), raw)).toBe('expected integer 1–65535');
  });

  it('accepts 0 (any free port) only when allowed', () => {
    expect(accepts(port({ allowZero: true }), '0')).toBe(0);
    expect(rejectionOf(port({ allowZero: true }), '65536')).toBe('expected integer 0–65535');
  });
});

describe('integer', () => {
  it('applies only the bounds it is given', () => {
    expect(accepts(integer(), '-12')).toBe(-12);
    expect(accepts(integer({ min: 1 }), '1')).toBe(1);
    expect(rejectionOf(integer({ min: 1 }), '0')).toBe('expected integer ≥ 1');
    expect(rejectionOf(integer({ max: 10 }), '11')).toBe('expected integer ≤ 10');
    expect(rejectionOf(integer(), '1e3')).toBe('expected integer');
  });
});

describe('url', () => {
  it('keeps an absolute URL as given', () => {
    expect(accepts(url(), 'postgres://shop@db:5432/orders')).toBe('postgres://shop@db:5432/orders');
  });

  it('rejects relative URLs and schemes outside the allowed ones', () => {
    expect(rejectionOf(url(), '/relative/path')).toBe('expected an absolute URL');
    expect(rejectionOf(url({ protocols: ['http', 'https'] }), 'ftp://files.example')).toBe(
      'expected an absolute http or https URL',
    );
    expect(accepts(url({ protocols: ['http', 'https'] }), 'https://shop.example')).toBe(
      'https://shop.example',
    );
  });
});

describe('csvList', () => {
  it('splits, trims and drops empty items', () => {
    expect(accepts(csvList(), 'host1:9092, host2:9092,,')).toEqual(['host1:9092', 'host2:9092']);
  });

  it('rejects a list without items', () => {
    expect(rejectionOf(csvList(), ' , ')).toBe(
      'expected a comma-separated list with at least one item',
    );
  });
});

describe('ratio', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['0.1', 0.1],
    ['.25', 0.25],
    ['1.0', 1],
  ])('reads %j as %d', (text, value) => {
    expect(ratio().parse(text)).toBe(value);
  });

  it.each(['1.5', '-0.1', '10%', 'half', '', '1e-1'])('refuses %j', (text) => {
    expect(ratio().safeParse(text).success).toBe(false);
  });
});

describe('duration', () => {
  it.each([
    ['250', 250],
    ['500ms', 500],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['14d', 1_209_600_000],
  ])('reads %p as %p ms', (raw, expected) => {
    expect(accepts(duration(), raw)).toBe(expected);
  });

  it.each(['1.5s', '5 seconds', 's', '-5s', '1.5d', '7days', '2w'])('rejects %p', (raw) => {
    expect(rejectionOf(duration(), raw)).toBe(
      'expected a duration such as 500ms, 5s, 2m, 1h, 7d or whole milliseconds',
    );
  });
});

describe('bool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads %p as %p', (raw, expected) => {
    expect(accepts(bool(), raw)).toBe(expected);
  });

  it('rejects anything else', () => {
    expect(rejectionOf(bool(), 'yes')).toBe('expected true, false, 1 or 0');
  });
});

describe('logLevel, nodeEnv and oneOf', () => {
  it('accept their words in any case', () => {
    expect(accepts(logLevel(), 'DEBUG')).toBe('debug');
    expect(accepts(nodeEnv(), 'test')).toBe('test');
    expect(accepts(oneOf(['sasl', 'plain']), 'Plain')).toBe('plain');
  });

  it('name the accepted words when rejecting', () => {
    expect(rejectionOf(logLevel(), 'verbose')).toBe(
      'expected one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(rejectionOf(nodeEnv(), 'staging')).toBe('expected one of development, production, test');
  });
});

describe('secret', () => {
  it('accepts any non-empty string unchanged', () => {
    expect(accepts(secret(), ' s3cr3t ')).toBe(' s3cr3t ');
    expect(rejectionOf(secret(), '')).toBe('must not be empty');
  });
});
