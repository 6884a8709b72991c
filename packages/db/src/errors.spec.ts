import { describe, expect, it } from '@jest/globals';
import {
  TransactionRolledBackError,
  isForeignKeyViolation,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
} from './errors.js';

describe('sqlState', () => {
  it('reads the five-character SQLSTATE from an error-like object', () => {
    expect(sqlState(Object.assign(new Error('duplicate'), { code: '23505' }))).toBe('23505');
    expect(sqlState({ code: '40P01' })).toBe('40P01');
  });

  it('ignores codes that are not SQLSTATEs, and values that are not objects', () => {
    expect(sqlState(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(sqlState({ code: 23505 })).toBeUndefined();
    expect(sqlState('23505')).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });
});

describe('error predicates', () => {
  const unique = { code: '23505', constraint: 'payments_order_id_key' };

  it('match unique violations with or without a constraint name', () => {
    expect(isUniqueViolation(unique)).toBe(true);
    expect(isUniqueViolation(unique, 'payments_order_id_key')).toBe(true);
    expect(isUniqueViolation(unique, 'payments_pkey')).toBe(false);
    expect(isUniqueViolation({ code: '23505' }, 'payments_pkey')).toBe(false);
  });

  it('tell the other SQLSTATEs apart', () => {
    expect(isForeignKeyViolation({ code: '23503' })).toBe(true);
    expect(isSerializationFailure({ code: '40001' })).toBe(true);
    expect(isSerializationFailure(unique)).toBe(false);
    expect(isUniqueViolation({ code: '40001' })).toBe(false);
  });

  it('give a rolled-back commit the SQLSTATE of a failed transaction', () => {
    const error = new TransactionRolledBackError();

    expect(sqlState(error)).toBe('25P02');
    expect(error.name).toBe('TransactionRolledBackError');
  });
});
