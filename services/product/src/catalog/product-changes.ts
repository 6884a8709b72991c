import { createEvent, type EventData } from '@mercato/contracts';
import type { Queryable } from '@mercato/db';
import { appendToOutbox } from '@mercato/messaging';
import { SERVICE_NAME } from '../product.constants.js';
import {
  SELECT_PRODUCT,
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
 * The product rows are read `FOR SHARE`, which waits for a price change in flight
 * (`SetProductPrice` holds the row `FOR NO KEY UPDATE`) to commit, so a stock event never carries
 * a price older than the price event before it. Stock rows need no such lock: the caller updated
 * them, so it holds their locks already.
 */
export async function recordProductChanges(
  tx: Queryable,
  productIds: Iterable<string>,
  changed: readonly ProductChange[],
): Promise<ProductRecord[]> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return [];
  const { rows } = await tx.query<ProductRow>(
    `${SELECT_PRODUCT} WHERE p.id = ANY($1::text[]) ORDER BY p.id FOR SHARE OF p`,
    [ids],
  );
  const products = rows.map(toRecord);
  for (const product of products) {
    await appendToOutbox(
      tx,
      createEvent('product.changed.v1', SERVICE_NAME, {
        productId: product.id,
        changed: [...changed],
        price: { amountMinor: product.priceMinor, currency: product.currency },
        stockAvailable: product.stockAvailable,
      }),
    );
  }
  return products;
}
