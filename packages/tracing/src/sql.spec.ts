import { describe, expect, it } from '@jest/globals';
import { sqlSpanName } from './sql.js';

describe('sqlSpanName', () => {
  it.each([
    ['SELECT id, status FROM orders WHERE id = $1', 'SELECT orders', 'SELECT'],
    ['  insert into outbox (topic) values ($1)', 'INSERT outbox', 'INSERT'],
    ['UPDATE "stock_items" SET reserved = reserved + $2', 'UPDATE stock_items', 'UPDATE'],
    ['DELETE FROM processed_events WHERE processed_at < $1', 'DELETE processed_events', 'DELETE'],
    [
      'SELECT o.*, (SELECT json_agg(l.sku) FROM order_lines l WHERE l.order_id = o.id) AS lines FROM orders o',
      'SELECT orders',
      'SELECT',
    ],
    ['BEGIN', 'BEGIN', 'BEGIN'],
    ['', 'SQL', 'SQL'],
  ])('names %j %j', (sql, name, operation) => {
    expect(sqlSpanName(sql)).toEqual({ name, operation });
  });
});
