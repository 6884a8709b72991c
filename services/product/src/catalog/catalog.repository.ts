import { Inject, Injectable } from '@nestjs/common';
import type { Money } from '@mercato/contracts';
import type { Database, Queryable } from '@mercato/db';
import { failedPrecondition, notFound } from '@mercato/grpc';
import { DATABASE } from '@mercato/service-kit';
import { recordProductChanges } from './product-changes.js';
import { productIdForSku, type SeedProduct } from './seed-catalog.js';

/** A product as stored, with its current availability. */
export interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceMinor: number;
  currency: string;
  imageUrl: string;
  stockAvailable: number;
  /** Bumped by every change to the price or the available stock ({@link recordProductChanges}). */
  version: number;
}

/** Filter and page of a catalog listing. */
export interface ProductQuery {
  category?: string;
  search?: string;
  limit: number;
  offset: number;
}

/** A row of {@link SELECT_PRODUCT}. */
export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price_minor: string | number;
  currency: string;
  image_url: string;
  stock_available: string | number;
  version: string | number;
}

/** The columns of a {@link ProductRow} from `products p`, but for the available stock. */
export const PRODUCT_COLUMNS =
  'p.id, p.sku, p.name, p.description, p.category, p.price_minor, p.currency, p.image_url, p.version';

/** Every column of a product and its available stock; callers add WHERE, ORDER and locks. */
export const SELECT_PRODUCT = `
  SELECT ${PRODUCT_COLUMNS}, COALESCE(s.on_hand - s.reserved, 0) AS stock_available
    FROM products p LEFT JOIN stock s ON s.product_id = p.id`;

/** A {@link SELECT_PRODUCT} row as the catalog's record. */
export const toRecord = (row: ProductRow): ProductRecord => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  description: row.description,
  category: row.category,
  priceMinor: Number(row.price_minor),
  currency: row.currency,
  imageUrl: row.image_url,
  stockAvailable: Number(row.stock_available),
  version: Number(row.version),
});

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

/** Reads, seeds and prices the catalog. */
@Injectable()
export class CatalogRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** One page of products matching the filter, ordered by category then name, and the total. */
  async list(query: ProductQuery): Promise<{ products: ProductRecord[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.category) {
      params.push(query.category);
      conditions.push(`p.category = $${params.length}`);
    }
    if (query.search) {
      params.push(likePattern(query.search));
      const placeholder = `$${params.length}`;
      conditions.push(
        `(p.name ILIKE ${placeholder} OR p.description ILIKE ${placeholder} OR p.sku ILIKE ${placeholder})`,
      );
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const count = await this.db.query<{ total: string | number }>(
      `SELECT count(*) AS total FROM products p ${where}`,
      params,
    );
    const page = await this.db.query<ProductRow>(
      `${SELECT_PRODUCT} ${where} ORDER BY p.category, p.name, p.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    return { products: page.rows.map(toRecord), total: Number(count.rows[0]?.total ?? 0) };
  }

  /** Categories with their product counts, alphabetically. */
  async categories(): Promise<{ name: string; productCount: number }[]> {
    const result = await this.db.query<{ category: string; product_count: string | number }>(
      'SELECT category, count(*) AS product_count FROM products GROUP BY category ORDER BY category',
    );
    return result.rows.map((row) => ({
      name: row.category,
      productCount: Number(row.product_count),
    }));
  }

  /** The products with these ids that exist (any order). */
  async findByIds(ids: readonly string[], db: Queryable = this.db): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const result = await db.query<ProductRow>(`${SELECT_PRODUCT} WHERE p.id = ANY($1::text[])`, [
      ids,
    ]);
    return result.rows.map(toRecord);
  }

  /**
   * Sets a product's price and returns the product as it is afterwards. The new price must be in
   * the product's own currency: prices are compared, summed into order totals and charged in it,
   * so a product never changes currency by a price update (FAILED_PRECONDITION naming
   * `price.currency`). NOT_FOUND for an unknown product.
   *
   * The price it has already is no change: nothing is written and nothing is published, so an
   * operator's retry does not make every gateway drop its cache. A real change publishes
   * `product.changed.v1` (`changed: ['price']`) in the same transaction as the update.
   */
  async setPrice(productId: string, price: Money): Promise<ProductRecord> {
    return this.db.transaction(async (tx) => {
      // FOR NO KEY UPDATE, the lock the UPDATE takes anyway: it serialises price changes of one
      // product and makes stock events wait for this one, without blocking the foreign-key checks
      // of reservations (FOR KEY SHARE).
      const current = await tx.query<{ price_minor: string | number; currency: string }>(
        'SELECT price_minor, currency FROM products WHERE id = $1 FOR NO KEY UPDATE',
        [productId],
      );
      const row = current.rows[0];
      if (!row) throw notFound(`product ${productId} does not exist`);
      if (row.currency !== price.currency) {
        throw failedPrecondition(
          `product ${productId} is priced in ${row.currency}, not ${price.currency}`,
          [
            {
              field: 'price.currency',
              description: `must be ${row.currency}, the product's currency`,
            },
          ],
        );
      }
      if (Number(row.price_minor) !== price.amountMinor) {
        await tx.query('UPDATE products SET price_minor = $2 WHERE id = $1', [
          productId,
          price.amountMinor,
        ]);
        await recordProductChanges(tx, [productId], ['price']);
      }
      const [product] = await this.findByIds([productId], tx);
      return product!;
    });
  }

  /**
   * Inserts the seed products that are missing, with their initial stock. Existing products and
   * their stock are left alone, so restarts never reset inventory. Returns how many were added.
   * A new product publishes no `product.changed.v1`: the event announces a change to a product
   * readers may hold, and nobody can hold one that did not exist.
   */
  async seed(products: readonly SeedProduct[], currency: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      let added = 0;
      for (const product of products) {
        const id = productIdForSku(product.sku);
        const inserted = await tx.query(
          `INSERT INTO products (id, sku, name, description, category, price_minor, currency, image_url)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
          [
            id,
            product.sku,
            product.name,
            product.description,
            product.category,
            product.priceMinor,
            currency,
            `/images/products/${id}.svg`,
          ],
        );
        if (inserted.rowCount === 1) {
          added += 1;
          await tx.query(
            'INSERT INTO stock (product_id, on_hand) VALUES ($1, $2) ON CONFLICT DO NOTHING',
            [id, product.stock],
          );
        }
      }
      return added;
    });
  }
}
