import { describe, expect, it } from '@jest/globals';
import { parseInt8, pgliteTypeParsers, textParserFor } from './type-parsers.js';

const INT8 = 20;
const INT8_ARRAY = 1016;
const DATE = 1082;
const DATE_ARRAY = 1182;
const NUMERIC = 1700;

describe('result parsing', () => {
  it('reads int8 as a number while it is exact', () => {
    expect(parseInt8('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInt8('-12')).toBe(-12);
    expect(() => parseInt8('9007199254740992')).toThrow(RangeError);
  });

  it('reads int8 and date arrays element by element, keeping nulls and nesting', () => {
    expect(textParserFor(INT8_ARRAY)('{{1,NULL},{3,4}}')).toEqual([
      [1, null],
      [3, 4],
    ]);
    expect(textParserFor(DATE_ARRAY)('{2024-01-31,NULL}')).toEqual(['2024-01-31', null]);
  });

  it('keeps dates and numerics as text', () => {
    expect(textParserFor(DATE)('2024-02-29')).toBe('2024-02-29');
    expect(textParserFor(NUMERIC)('12.50')).toBe('12.50');
  });

  it('gives PGlite the same parsers the pg pool uses', () => {
    const parsers = pgliteTypeParsers();

    expect(parsers[INT8]?.('5')).toBe(5);
    expect(parsers[DATE]?.('2024-02-29')).toBe('2024-02-29');
    expect(parsers[NUMERIC]).toBeUndefined();
  });
});
