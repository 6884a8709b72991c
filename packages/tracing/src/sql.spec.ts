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
    // A statement with a WITH clause: what each part does, in order; parts that read only the
    // statement's own CTEs are left out, and the operation is the first one.
    [
      `WITH created AS (
         INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id
       ), lines AS (
         INSERT INTO order_lines (order_id, sku) SELECT created.id, l.sku FROM created, unnest($2::text[]) AS l(sku)
       ), announced AS (
         INSERT INTO outbox (event_id) SELECT $3::uuid FROM created LIMIT 1
       )
       SELECT count(*)::int AS created FROM created`,
      'INSERT orders INSERT order_lines INSERT outbox',
      'INSERT',
    ],
    [
      `WITH inbox AS (INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1),
       changed AS (UPDATE orders SET status = $2 WHERE (id = $3) AND EXISTS (SELECT 1 FROM inbox) RETURNING 1)
       SELECT (SELECT count(*) FROM inbox)::int AS recorded, (SELECT count(*) FROM changed)::int AS changed`,
      'INSERT processed_events UPDATE orders',
      'INSERT',
    ],
    [
      'WITH marked AS (UPDATE outbox SET published_at = now() WHERE id = ANY($1)) SELECT id FROM outbox WHERE published_at IS NULL',
      'UPDATE outbox SELECT outbox',
      'UPDATE',
    ],
    [
      'WITH locked AS (SELECT id FROM products WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE) UPDATE products p SET version = p.version + 1 FROM locked WHERE p.id = locked.id',
      'SELECT products UPDATE products',
      'SELECT',
    ],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'SELECT', 'SELECT'],
    ['', 'SQL', 'SQL'],
  ])('names %j %j', (sql, name, operation) => {
    expect(sqlSpanName(sql)).toEqual({ name, operation });
  });
});
