import { describe, expect, it } from '@jest/globals';
import { uniqueDatabaseName } from './databases.js';

describe('uniqueDatabaseName', () => {
  it('turns a suite name into a safe identifier with a random suffix', () => {
    expect(uniqueDatabaseName('Order Service!')).toMatch(/^order_service_[0-9a-f]{8}$/);
    expect(uniqueDatabaseName('')).toMatch(/^test_[0-9a-f]{8}$/);
  });

  it('gives a different name on every call', () => {
    expect(uniqueDatabaseName('orders')).not.toBe(uniqueDatabaseName('orders'));
  });

  it('stays within PostgreSQL’s 63-byte identifier limit', () => {
    expect(uniqueDatabaseName('x'.repeat(200))).toHaveLength(63);
  });
});
