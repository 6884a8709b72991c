import { describe, expect, it } from '@jest/globals';
import { StatementNames } from './postgres.js';

describe('StatementNames', () => {
  it('gives a query text one name, and different texts different names', () => {
    const names = new StatementNames();

    const first = names.of('SELECT 1');
    const again = names.of('SELECT 1');
    const other = names.of('SELECT 2');

    expect(first).toBe('mercato_0_1');
    expect(again).toBe(first);
    expect(other).toBe('mercato_0_2');
  });

  it('leaves texts past its limit unnamed, and keeps the names it gave', () => {
    const names = new StatementNames(2);
    names.of('SELECT 1');
    names.of('SELECT 2');

    expect(names.of('SELECT 3')).toBeUndefined();
    expect(names.of('SELECT 3')).toBeUndefined();
    expect(names.of('SELECT 2')).toBe('mercato_0_2');
  });

  it('names every text anew once told to forget', () => {
    const names = new StatementNames();
    names.of('SELECT 1');

    names.forget();

    expect(names.of('SELECT 2')).toBe('mercato_1_1');
    expect(names.of('SELECT 1')).toBe('mercato_1_2');
  });
});
