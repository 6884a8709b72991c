import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@mercato/db';
import { DATABASE } from '@mercato/service-kit';
import type { OrderState } from './order-state.js';

/** A priced order line as stored. */
export interface OrderLineRecord {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
}

/** An order as stored. */
export interface OrderRecord {
  id: string;
  customerId: string;
  status: OrderState;
  statusReason: string;
  totalMinor: number;
  currency: string;
  paymentToken: string;
  idempotencyKey: string;
  requestHash: string;
  lines: OrderLineRecord[];
  createdAt: Date;
  updatedAt: Date;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderState;
  status_reason: string;
  total_minor: string | number;
  currency: string;
  payment_token: string;
  idempotency_key: string;
  request_hash: string;
  created_at: Date | string;
  updated_at: Date | string;
}

interface LineRow {
  order_id: string;
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: string | number;
}

/** Stores and reads orders. Writes take the caller's transaction so the outbox joins it. */
@Injectable()
export class OrdersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts the order and its lines; false when an order with this id already exists. */
  async insert(tx: Queryable, order: OrderRecord): Promise<boolean> {
    const inserted = await tx.query(
      `INSERT INTO orders (id, customer_id, status, status_reason, total_minor, currency, payment_token,
                           idempotency_key, request_hash, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING`,
      [
        order.id,
        order.customerId,
        order.status,
        order.statusReason,
        order.totalMinor,
        order.currency,
        order.paymentToken,
        order.idempotencyKey,
        order.requestHash,
        order.createdAt,
      ],
    );
    if (inserted.rowCount === 0) return false;
    for (const [index, line] of order.lines.entries()) {
      await tx.query(
        `INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          order.id,
          index + 1,
          line.productId,
          line.sku,
          line.name,
          line.quantity,
          line.unitPriceMinor,
        ],
      );
    }
    return true;
  }

  /** Moves the order from one state to another; false when it was no longer in `from`. */
  async updateStatus(
    tx: Queryable,
    id: string,
    from: OrderState,
    to: OrderState,
    reason: string,
  ): Promise<boolean> {
    const updated = await tx.query(
      'UPDATE orders SET status = $3, status_reason = $4, updated_at = now() WHERE id = $1 AND status = $2',
      [id, from, to, reason],
    );
    return updated.rowCount === 1;
  }

  /** One order with its lines. */
  async findById(id: string, db: Queryable = this.db): Promise<OrderRecord | undefined> {
    const orders = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    const [order] = await this.withLines(db, orders.rows);
    return order;
  }

  /** The order created with this customer's idempotency key. */
  async findByIdempotencyKey(customerId: string, key: string): Promise<OrderRecord | undefined> {
    const orders = await this.db.query<OrderRow>(
      'SELECT * FROM orders WHERE customer_id = $1 AND idempotency_key = $2',
      [customerId, key],
    );
    const [order] = await this.withLines(this.db, orders.rows);
    return order;
  }

  /** A page of a customer's orders, newest first. */
  async listByCustomer(customerId: string, limit: number, offset: number): Promise<OrderRecord[]> {
    const orders = await this.db.query<OrderRow>(
      'SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
      [customerId, limit, offset],
    );
    return this.withLines(this.db, orders.rows);
  }

  private async withLines(db: Queryable, rows: readonly OrderRow[]): Promise<OrderRecord[]> {
    if (rows.length === 0) return [];
    const lines = await db.query<LineRow>(
      'SELECT * FROM order_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no',
      [rows.map((row) => row.id)],
    );
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      status: row.status,
      statusReason: row.status_reason,
      totalMinor: Number(row.total_minor),
      currency: row.currency,
      paymentToken: row.payment_token,
      idempotencyKey: row.idempotency_key,
      requestHash: row.request_hash,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      lines: lines.rows
        .filter((line) => line.order_id === row.id)
        .map((line) => ({
          productId: line.product_id,
          sku: line.sku,
          name: line.name,
          quantity: Number(line.quantity),
          unitPriceMinor: Number(line.unit_price_minor),
        })),
    }));
  }
}
