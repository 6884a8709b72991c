import type { Database } from '@mercato/db';

/** Test helper: adds a product with a known price (EUR minor units) and stock level to the product database. */
export async function addProduct(
  db: Database,
  id: string,
  onHand: number,
  priceMinor = 1000,
): Promise<void> {
  await db.query(
    `INSERT INTO products (id, sku, name, description, category, price_minor, currency, image_url)
     VALUES ($1, $2, $3, 'test product', 'test', $4, 'EUR', '')`,
    [id, id.toUpperCase(), `Product ${id}`, priceMinor],
  );
  await db.query('INSERT INTO stock (product_id, on_hand) VALUES ($1, $2)', [id, onHand]);
}

/** Test helper: on_hand and reserved of a product, read from the product database. */
export async function stockOf(
  db: Database,
  id: string,
): Promise<{ onHand: number; reserved: number }> {
  const { rows } = await db.query<{ on_hand: number; reserved: number }>(
    'SELECT on_hand, reserved FROM stock WHERE product_id = $1',
    [id],
  );
  return { onHand: Number(rows[0]?.on_hand), reserved: Number(rows[0]?.reserved) };
}
