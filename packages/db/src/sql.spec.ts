import { describe, expect, it } from '@jest/globals';
import { setTransactionSql } from './sql.js';
import { type IsolationLevel } from './types.js';

describe('setTransactionSql', () => {
  it('is not needed when the session defaults apply', () => {
    expect(setTransactionSql(undefined)).toBeUndefined();
    expect(setTransactionSql({})).toBeUndefined();
  });

  it('names the isolation level and access mode', () => {
    expect(setTransactionSql({ isolationLevel: 'serializable' })).toBe(
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    );
    expect(setTransactionSql({ isolationLevel: 'repeatable read', readOnly: true })).toBe(
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
    );
    expect(setTransactionSql({ readOnly: false })).toBe('SET TRANSACTION READ WRITE');
  });

  it('rejects an isolation level it does not know instead of pasting it into SQL', () => {
    expect(() =>
      setTransactionSql({ isolationLevel: 'serializable; DROP TABLE x' as IsolationLevel }),
    ).toThrow('Unknown isolation level');
  });
});
