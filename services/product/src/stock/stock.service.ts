import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@mercato/db';
import { failedPrecondition, GrpcError, notFound, type FieldViolation } from '@mercato/grpc';
import { status as grpcStatus } from '@grpc/grpc-js';
import { DATABASE } from '@mercato/service-kit';
import { CatalogRepository, type ProductRecord } from '../catalog/catalog.repository.js';
import { recordProductChanges } from '../catalog/product-changes.js';

/** Lifecycle of a stock reservation (mirrors mercato.product.v1.ReservationStatus). */
export enum ReservationState {
  RESERVED = 'RESERVED',
  COMMITTED = 'COMMITTED',
  RELEASED = 'RELEASED',
  EXPIRED = 'EXPIRED',
  RETURNED = 'RETURNED',
}

/** A quantity of one product. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** An order's reservation. */
export interface ReservationRecord {
  orderId: string;
  status: ReservationState;
  lines: StockLine[];
  expiresAt: Date;
}

interface ReservationRow {
  order_id: string;
  status: ReservationState;
  expires_at: Date | string;
}

interface ReservationWithLinesRow extends ReservationRow {
  lines: { product_id: string; quantity: number }[];
}

// A reservation and its lines in one round trip (a scalar subquery, so the row can be locked).
const RESERVATION_WITH_LINES = `
  SELECT r.order_id, r.status, r.expires_at,
         COALESCE((SELECT json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity)
                                   ORDER BY l.product_id)
                     FROM reservation_lines l WHERE l.order_id = r.order_id), '[]') AS lines
    FROM reservations r WHERE r.order_id = $1`;

/**
 * The commit of a RESERVED reservation — every paid order's — in one statement instead of a
 * transaction of four or more: the reservation moves to COMMITTED (locking its row, as the
 * transaction's `FOR UPDATE` did) and its units leave the shelf, the stock rows locked in product
 * order first (as `byProduct` orders them in a transaction), so that two commits never wait on each
 * other in opposite orders. No row when the reservation is missing or not RESERVED: the other
 * states take the transaction.
 */
const COMMIT_RESERVED = `
  WITH committed AS (
    UPDATE reservations SET status = 'COMMITTED', updated_at = now()
     WHERE order_id = $1 AND status = 'RESERVED'
    RETURNING order_id, status, expires_at
  ), lines AS (
    SELECT l.product_id, l.quantity FROM reservation_lines l JOIN committed c USING (order_id)
  ), locked AS (
    SELECT s.product_id FROM stock s JOIN lines USING (product_id)
     ORDER BY s.product_id FOR NO KEY UPDATE OF s
  ), sold AS (
    -- A data-modifying CTE runs whether or not the query reads it.
    UPDATE stock s SET on_hand = s.on_hand - lines.quantity, reserved = s.reserved - lines.quantity
      FROM lines JOIN locked USING (product_id)
     WHERE s.product_id = lines.product_id
    RETURNING 1
  )
  SELECT c.order_id, c.status, c.expires_at,
         COALESCE((SELECT json_agg(json_build_object('product_id', product_id, 'quantity', quantity)
                                   ORDER BY product_id) FROM lines), '[]') AS lines
    FROM committed c`;

/** Orders stock lines by product id so concurrent transactions lock rows in the same order. */
const byProduct = (lines: readonly StockLine[]) =>
  [...lines].sort((left, right) => left.productId.localeCompare(right.productId));

const toReservation = (row: ReservationWithLinesRow): ReservationRecord => ({
  orderId: row.order_id,
  status: row.status,
  lines: row.lines.map((line) => ({ productId: line.product_id, quantity: Number(line.quantity) })),
  expiresAt: new Date(row.expires_at),
});

const sameLines = (left: readonly StockLine[], right: readonly StockLine[]) =>
  JSON.stringify(byProduct(left)) === JSON.stringify(byProduct(right));

const productIdsOf = (lines: readonly StockLine[]) => lines.map((line) => line.productId);

/**
 * Reserves, commits and releases stock per order. Every operation runs in one transaction and is
 * idempotent per order id. `stock.reserved <= stock.on_hand` is a table constraint and each
 * reservation increments `reserved` with a conditional UPDATE, so concurrent orders can never
 * oversell, on PostgreSQL or PGlite.
 *
 * Every operation that changes a product's available stock (on hand − reserved) writes
 * `product.changed.v1` for each product it touched, in the same transaction (the outbox), with the
 * availability after the change. Refusals roll back with the rest and idempotent repeats return
 * before moving stock, so neither publishes anything.
 */
@Injectable()
export class StockService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly catalog: CatalogRepository,
  ) {}

  /**
   * Reserves every line for the order, or nothing. Repeating the call with the same lines
   * returns the existing reservation; different lines for the same order fail. Returns the
   * products of the lines too (each once, by id), as they are once the reservation commits: the
   * caller prices the order from them.
   */
  async reserve(
    orderId: string,
    lines: readonly StockLine[],
    ttlMs: number,
  ): Promise<{ reservation: ReservationRecord; products: ProductRecord[] }> {
    return this.db.transaction(async (tx) => {
      const created = await tx.query<ReservationRow>(
        `INSERT INTO reservations (order_id, status, expires_at)
         VALUES ($1, 'RESERVED', now() + $2 * interval '1 millisecond')
         ON CONFLICT (order_id) DO NOTHING RETURNING order_id, status, expires_at`,
        [orderId, ttlMs],
      );
      const row = created.rows[0];
      if (!row) {
        const existing = await this.load(tx, orderId);
        if (!existing || !sameLines(existing.lines, lines)) {
          throw new GrpcError(
            grpcStatus.ALREADY_EXISTS,
            `order ${orderId} already holds a different reservation`,
          );
        }
        return {
          reservation: existing,
          // By id, as recordProductChanges answers the first call.
          products: (await this.catalog.findByIds(productIdsOf(lines), tx)).sort((a, b) =>
            a.id < b.id ? -1 : 1,
          ),
        };
      }

      const short: StockLine[] = [];
      for (const line of byProduct(lines)) {
        const updated = await tx.query(
          'UPDATE stock SET reserved = reserved + $2 WHERE product_id = $1 AND on_hand - reserved >= $2',
          [line.productId, line.quantity],
        );
        if (updated.rowCount === 0) short.push(line);
      }
      if (short.length > 0) {
        // A line may be short because its product does not exist: that answer (NOT_FOUND) comes
        // first. Only asked when a line fell short, so a reservation that succeeds sends one
        // statement less; the transaction rolls back either way.
        await this.assertProductsExist(tx, lines);
        throw await this.insufficientStock(tx, lines, short);
      }

      for (const line of lines) {
        await tx.query(
          'INSERT INTO reservation_lines (order_id, product_id, quantity) VALUES ($1, $2, $3)',
          [orderId, line.productId, line.quantity],
        );
      }
      const products = await recordProductChanges(tx, productIdsOf(lines), ['stock']);
      const reservation: ReservationRecord = {
        orderId,
        status: ReservationState.RESERVED,
        lines: [...lines],
        expiresAt: new Date(row.expires_at),
      };
      return { reservation, products };
    });
  }

  /** Turns the reservation into a sale: stock leaves the shelf. Idempotent. */
  async commit(orderId: string): Promise<ReservationRecord> {
    const { rows } = await this.db.query<ReservationWithLinesRow>(COMMIT_RESERVED, [orderId]);
    if (rows[0]) return toReservation(rows[0]);
    return this.db.transaction(async (tx) => {
      const reservation = await this.lockReservation(tx, orderId);
      switch (reservation.status) {
        case ReservationState.COMMITTED:
          return reservation;
        case ReservationState.RELEASED:
          throw failedPrecondition(
            `reservation of order ${orderId} was released; it cannot be committed`,
          );
        case ReservationState.EXPIRED: {
          // Payment finished after the reservation expired: sell only if the stock is still there.
          const short: StockLine[] = [];
          for (const line of byProduct(reservation.lines)) {
            const updated = await tx.query(
              'UPDATE stock SET on_hand = on_hand - $2 WHERE product_id = $1 AND on_hand - reserved >= $2',
              [line.productId, line.quantity],
            );
            if (updated.rowCount === 0) short.push(line);
          }
          if (short.length > 0) throw await this.insufficientStock(tx, reservation.lines, short);
          // The expired reservation had already gone back to the shelf: this sale takes it again.
          await recordProductChanges(tx, productIdsOf(reservation.lines), ['stock']);
          break;
        }
        case ReservationState.RETURNED:
          throw failedPrecondition(
            `stock of order ${orderId} was sold and returned; it cannot be committed again`,
          );
        case ReservationState.RESERVED:
          // The reserved units leave the shelf: on_hand and reserved drop by the same amount, so
          // the available stock (on_hand − reserved) is what it was and no product.changed.v1 is
          // published (readers saw the drop when the stock was reserved).
          for (const line of byProduct(reservation.lines)) {
            await tx.query(
              'UPDATE stock SET on_hand = on_hand - $2, reserved = reserved - $2 WHERE product_id = $1',
              [line.productId, line.quantity],
            );
          }
          break;
      }
      await this.setStatus(tx, orderId, ReservationState.COMMITTED);
      return { ...reservation, status: ReservationState.COMMITTED };
    });
  }

  /** Returns reserved stock to the shelf (order cancelled). Idempotent; a sale cannot be released. */
  async release(orderId: string): Promise<ReservationRecord> {
    return this.db.transaction(async (tx) => {
      const reservation = await this.lockReservation(tx, orderId);
      if (reservation.status === ReservationState.COMMITTED) {
        throw failedPrecondition(
          `stock of order ${orderId} is already sold; it cannot be released`,
        );
      }
      if (reservation.status !== ReservationState.RESERVED) return reservation;
      await this.returnReservedStock(tx, reservation);
      await recordProductChanges(tx, productIdsOf(reservation.lines), ['stock']);
      await this.setStatus(tx, orderId, ReservationState.RELEASED);
      return { ...reservation, status: ReservationState.RELEASED };
    });
  }

  /**
   * Puts the stock of a refunded sale back on the shelf (nothing ships in this shop, so a refund
   * returns the goods). Idempotent; only a sale can be returned.
   */
  async restock(orderId: string): Promise<ReservationRecord> {
    return this.db.transaction(async (tx) => {
      const reservation = await this.lockReservation(tx, orderId);
      if (reservation.status === ReservationState.RETURNED) return reservation;
      if (reservation.status !== ReservationState.COMMITTED) {
        throw failedPrecondition(
          `order ${orderId} was never sold (${reservation.status}); nothing to restock`,
        );
      }
      for (const line of byProduct(reservation.lines)) {
        await tx.query('UPDATE stock SET on_hand = on_hand + $2 WHERE product_id = $1', [
          line.productId,
          line.quantity,
        ]);
      }
      await recordProductChanges(tx, productIdsOf(reservation.lines), ['stock']);
      await this.setStatus(tx, orderId, ReservationState.RETURNED);
      return { ...reservation, status: ReservationState.RETURNED };
    });
  }

  /**
   * Expires reservations whose time is up and returns their stock. Safe to run from several
   * replicas at once (SKIP LOCKED). Returns the order ids expired. A product several of the
   * batch's reservations held gets one product.changed.v1, with its availability after all of them.
   */
  async expireDue(batchSize = 100): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const due = await tx.query<{ order_id: string }>(
        `SELECT order_id FROM reservations WHERE status = 'RESERVED' AND expires_at <= now()
         ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      const returned = new Set<string>();
      for (const { order_id: orderId } of due.rows) {
        const reservation = await this.load(tx, orderId);
        if (!reservation) continue;
        await this.returnReservedStock(tx, reservation);
        await this.setStatus(tx, orderId, ReservationState.EXPIRED);
        for (const productId of productIdsOf(reservation.lines)) returned.add(productId);
      }
      await recordProductChanges(tx, returned, ['stock']);
      return due.rows.map((row) => row.order_id);
    });
  }

  /** The order's reservation, or NOT_FOUND. */
  async get(orderId: string): Promise<ReservationRecord> {
    const reservation = await this.load(this.db, orderId);
    if (!reservation) throw notFound(`order ${orderId} has no stock reservation`);
    return reservation;
  }

  private async returnReservedStock(tx: Queryable, reservation: ReservationRecord): Promise<void> {
    for (const line of byProduct(reservation.lines)) {
      await tx.query('UPDATE stock SET reserved = reserved - $2 WHERE product_id = $1', [
        line.productId,
        line.quantity,
      ]);
    }
  }

  private async setStatus(tx: Queryable, orderId: string, status: ReservationState): Promise<void> {
    await tx.query('UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1', [
      orderId,
      status,
    ]);
  }

  private async lockReservation(tx: Queryable, orderId: string): Promise<ReservationRecord> {
    const reservation = await this.load(tx, orderId, { lock: true });
    if (!reservation) throw notFound(`order ${orderId} has no stock reservation`);
    return reservation;
  }

  /**
   * The reservation with its lines, in one statement; with `lock`, its row stays locked until the
   * transaction ends (the lines never change once reserved).
   */
  private async load(
    db: Queryable,
    orderId: string,
    { lock = false } = {},
  ): Promise<ReservationRecord | undefined> {
    const reservation = await db.query<ReservationWithLinesRow>(
      lock ? `${RESERVATION_WITH_LINES} FOR UPDATE OF r` : RESERVATION_WITH_LINES,
      [orderId],
    );
    const row = reservation.rows[0];
    return row && toReservation(row);
  }

  private async assertProductsExist(tx: Queryable, lines: readonly StockLine[]): Promise<void> {
    const ids = lines.map((line) => line.productId);
    const found = await tx.query<{ id: string }>(
      'SELECT id FROM products WHERE id = ANY($1::text[])',
      [ids],
    );
    const known = new Set(found.rows.map((row) => row.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw notFound(`unknown product ids: ${unknown.join(', ')}`);
  }

  private async insufficientStock(
    tx: Queryable,
    lines: readonly StockLine[],
    short: readonly StockLine[],
  ): Promise<GrpcError> {
    const available = await tx.query<{ product_id: string; available: number }>(
      'SELECT product_id, on_hand - reserved AS available FROM stock WHERE product_id = ANY($1::text[])',
      [short.map((line) => line.productId)],
    );
    const availableById = new Map(
      available.rows.map((row) => [row.product_id, Number(row.available)]),
    );
    const violations: FieldViolation[] = short.map((line) => ({
      field: `lines[${lines.findIndex((candidate) => candidate.productId === line.productId)}].quantity`,
      description: `product ${line.productId}: requested ${line.quantity}, available ${availableById.get(line.productId) ?? 0}`,
    }));
    return failedPrecondition(
      `not enough stock: ${violations.map((violation) => violation.description).join('; ')}`,
      violations,
    );
  }
}
