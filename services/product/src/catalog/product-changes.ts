import { createEvent, type EventData } from '@mercato/contracts';
import type { Queryable } from '@mercato/db';
import { appendToOutbox } from '@mercato/messaging';
import { SERVICE_NAME } from '../product.constants.js';
import {
  PRODUCT_COLUMNS,
  toRecord,
  type ProductRecord,
  type ProductRow,
} from './catalog.repository.js';

/** What changed about a product: its price, its available stock (on hand − reserved), or both. */
export type ProductChange = EventData<'product.changed.v1'>['changed'][number];

/**
 * Writes one `product.changed.v1` per product into the outbox, inside the caller's transaction and
 * after the caller has made the change in it: each event carries the product's price and
 * available stock as they are once that transaction commits, and exists only if it commits.
 *
 * Call it only when something readers can see did change: an operation that moved no stock or left
 * the price as it was publishes nothing. A product named more than once gets one event. Returns
 * the products as the events carry them, by id.
 *
 * Each product's `version` goes up by one here, in one statement that also reads the product back.
 * Its row lock (`FOR NO KEY UPDATE`, taken in id order) orders every change of one product: a
 * price change holds it too, so a stock event never carries a price older than the price event
 * before it, and versions rise in the order the changes commit. Stock rows need no lock here: the
 * caller updated them, so it holds their locks already. The lock does not block the foreign-key
 * checks of new reservation lines (`FOR KEY SHARE`).
 */
export async function recordProductChanges(
  tx: Queryable,
  productIds: Iterable<string>,
  changed: readonly ProductChange[],
): Promise<ProductRecord[]> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return [];
  const { rows } = await tx.query<ProductRow>(
    `WITH locked AS (
       SELECT id FROM products WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE
     )
     UPDATE products p SET version = p.version + 1 FROM locked WHERE p.id = locked.id
     RETURNING ${PRODUCT_COLUMNS},
       COALESCE((SELECT s.on_hand - s.reserved FROM stock s WHERE s.product_id = p.id), 0)
         AS stock_available`,
    [ids],
  );
  const products = rows.map(toRecord).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const product of products) {
    await appendToOutbox(
      tx,
      createEvent('product.changed.v1', SERVICE_NAME, {
        productId: product.id,
        changed: [...changed],
        price: { amountMinor: product.priceMinor, currency: product.currency },
        stockAvailable: product.stockAvailable,
        version: product.version,
      }),
    );
  }
  return products;
}
