import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@mercato/db';
import type { EventEnvelope } from '@mercato/contracts';
import { outboxInsertFrom, outboxValues, type RowUpdate } from '@mercato/messaging';
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
  /**
   * The reason of a customer's cancellation of this order once paid, stored before the refund is
   * asked for; '' when none was asked for. The REFUNDED move, whoever makes it, records it.
   */
  refundRequestedReason: string;
  totalMinor: number;
  currency: string;
  paymentToken: string;
  idempotencyKey: string;
  requestHash: string;
  lines: OrderLineRecord[];
  /** The traced checkout that placed the order (32 hex digits), or '' when it was not traced. */
  traceId: string;
  createdAt: Date;
  updatedAt: Date;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderState;
  status_reason: string;
  refund_requested_reason: string;
  total_minor: string | number;
  currency: string;
  payment_token: string;
  idempotency_key: string;
  request_hash: string;
  trace_id: string;
  created_at: Date | string;
  updated_at: Date | string;
}

/** An order row with its lines, as `SELECT_ORDER` reads them: one round trip per read. */
interface OrderWithLinesRow extends OrderRow {
  lines: LineRow[];
}

interface LineRow {
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: string | number;
}

// Orders with their lines in line order, aggregated by PostgreSQL, so a read (every poll of an
// order, every saga step) is one round trip instead of two.
const SELECT_ORDER = `
  SELECT o.*,
         COALESCE((SELECT json_agg(json_build_object('product_id', l.product_id, 'sku', l.sku,
                                                     'name', l.name, 'quantity', l.quantity,
                                                     'unit_price_minor', l.unit_price_minor)
                                   ORDER BY l.line_no)
                     FROM order_lines l
                    WHERE l.order_id = o.id), '[]'::json) AS lines
    FROM orders o`;

/**
 * An order, its lines and its announcement in one statement (see `insertAnnounced`): $1–$11 the
 * order's columns, $12–$16 the lines' columns as arrays, $17–$22 the outbox row.
 */
const INSERT_ANNOUNCED = `
  WITH created AS (
    INSERT INTO orders (id, customer_id, status, status_reason, total_minor, currency, payment_token,
                        idempotency_key, request_hash, trace_id, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT DO NOTHING
    RETURNING id
  ), lines AS (
    INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_minor)
    SELECT created.id, line.no, line.product_id, line.sku, line.name, line.quantity, line.unit_price_minor
      FROM created,
           unnest($12::text[], $13::text[], $14::text[], $15::integer[], $16::bigint[])
             WITH ORDINALITY AS line (product_id, sku, name, quantity, unit_price_minor, no)
  ), announced AS (
    ${outboxInsertFrom('created', 17)}
  )
  SELECT count(*)::int AS created FROM created`;

/** Stores and reads orders. Writes take the caller's transaction so the outbox joins it. */
@Injectable()
export class OrdersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Inserts the order, its lines and the outbox row of `announce` in one statement — atomic
   * without BEGIN and COMMIT, and one round trip instead of a transaction's 3 + lines. False, and
   * nothing written, when an order with this id or idempotency key exists already.
   */
  async insertAnnounced(order: OrderRecord, announce: EventEnvelope): Promise<boolean> {
    const { rows } = await this.db.query<{ created: number }>(INSERT_ANNOUNCED, [
      order.id,
      order.customerId,
      order.status,
      order.statusReason,
      order.totalMinor,
      order.currency,
      order.paymentToken,
      order.idempotencyKey,
      order.requestHash,
      order.traceId,
      order.createdAt,
      order.lines.map((line) => line.productId),
      order.lines.map((line) => line.sku),
      order.lines.map((line) => line.name),
      order.lines.map((line) => line.quantity),
      order.lines.map((line) => line.unitPriceMinor),
      ...outboxValues(announce),
    ]);
    return rows[0]?.created === 1;
  }

  /** Moves the order from one state to another; false when it was no longer in `from`. */
  async updateStatus(
    tx: Queryable,
    id: string,
    from: OrderState,
    to: OrderState,
    reason: string,
  ): Promise<boolean> {
    const { table, set, where, values } = this.statusChange(id, from, to, reason);
    const updated = await tx.query(`UPDATE ${table} SET ${set} WHERE ${where}`, values);
    return updated.rowCount === 1;
  }

  /**
   * The same move as an update in parts, for a saga step that makes it in one statement with its
   * inbox and outbox rows (`EventContext.updateOnce`).
   */
  statusChange(id: string, from: OrderState, to: OrderState, reason: string): RowUpdate {
    return {
      table: 'orders',
      set: 'status = $3, status_reason = $4, updated_at = now()',
      where: 'id = $1 AND status = $2',
      values: [id, from, to, reason],
    };
  }

  /**
   * Stores a customer's reason for cancelling a paid order before its refund is asked for; false
   * when the order is not PAID any more.
   */
  async recordRefundRequest(id: string, reason: string): Promise<boolean> {
    const updated = await this.db.query(
      `UPDATE orders SET refund_requested_reason = $2 WHERE id = $1 AND status = 'PAID'`,
      [id, reason],
    );
    return updated.rowCount === 1;
  }

  /** One order with its lines. */
  async findById(id: string, db: Queryable = this.db): Promise<OrderRecord | undefined> {
    const { rows } = await db.query<OrderWithLinesRow>(`${SELECT_ORDER} WHERE o.id = $1`, [id]);
    return rows.map(toRecord)[0];
  }

  /** The order created with this customer's idempotency key. */
  async findByIdempotencyKey(customerId: string, key: string): Promise<OrderRecord | undefined> {
    const { rows } = await this.db.query<OrderWithLinesRow>(
      `${SELECT_ORDER} WHERE o.customer_id = $1 AND o.idempotency_key = $2`,
      [customerId, key],
    );
    return rows.map(toRecord)[0];
  }

  /** A page of a customer's orders, newest first. */
  async listByCustomer(customerId: string, limit: number, offset: number): Promise<OrderRecord[]> {
    const { rows } = await this.db.query<OrderWithLinesRow>(
      `${SELECT_ORDER} WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id LIMIT $2 OFFSET $3`,
      [customerId, limit, offset],
    );
    return rows.map(toRecord);
  }
}

function toRecord(row: OrderWithLinesRow): OrderRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    statusReason: row.status_reason,
    refundRequestedReason: row.refund_requested_reason,
    totalMinor: Number(row.total_minor),
    currency: row.currency,
    paymentToken: row.payment_token,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    traceId: row.trace_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lines: row.lines.map((line) => ({
      productId: line.product_id,
      sku: line.sku,
      name: line.name,
      quantity: Number(line.quantity),
      unitPriceMinor: Number(line.unit_price_minor),
    })),
  };
}
