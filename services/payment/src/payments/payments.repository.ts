import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@mercato/db';
import type { RowInsert } from '@mercato/messaging';
import { DATABASE } from '@mercato/service-kit';

/** Lifecycle of a payment (mirrors mercato.payment.v1.PaymentStatus without the prefix). */
export enum PaymentState {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  REFUNDED = 'REFUNDED',
}

/** A payment as stored. */
export interface PaymentRecord {
  id: string;
  orderId: string;
  customerId: string;
  status: PaymentState;
  amountMinor: number;
  currency: string;
  providerReference: string;
  failureCode: string;
  refundReference: string;
  createdAt: Date;
  updatedAt: Date;
}

interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string;
  status: PaymentState;
  amount_minor: string | number;
  currency: string;
  provider_reference: string;
  failure_code: string;
  refund_reference: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const toRecord = (row: PaymentRow): PaymentRecord => ({
  id: row.id,
  orderId: row.order_id,
  customerId: row.customer_id,
  status: row.status,
  amountMinor: Number(row.amount_minor),
  currency: row.currency,
  providerReference: row.provider_reference,
  failureCode: row.failure_code,
  refundReference: row.refund_reference,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** Stores payments: at most one per order, enforced by a unique key. */
@Injectable()
export class PaymentsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * The payment as a row to insert (`EventContext.insertOnce`, which skips it when the order already
   * has one: the unique key on order_id).
   */
  newRow(payment: PaymentRecord): RowInsert {
    return {
      table: 'payments',
      columns: [
        'id',
        'order_id',
        'customer_id',
        'status',
        'amount_minor',
        'currency',
        'provider_reference',
        'failure_code',
      ],
      values: [
        payment.id,
        payment.orderId,
        payment.customerId,
        payment.status,
        payment.amountMinor,
        payment.currency,
        payment.providerReference,
        payment.failureCode,
      ],
    };
  }

  /** Marks a succeeded payment refunded; false when it was not SUCCEEDED any more. */
  async markRefunded(tx: Queryable, orderId: string, refundReference: string): Promise<boolean> {
    const updated = await tx.query(
      `UPDATE payments SET status = 'REFUNDED', refund_reference = $2, updated_at = now()
       WHERE order_id = $1 AND status = 'SUCCEEDED'`,
      [orderId, refundReference],
    );
    return updated.rowCount === 1;
  }

  /** The payment of an order. */
  async findByOrder(orderId: string, db: Queryable = this.db): Promise<PaymentRecord | undefined> {
    const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [
      orderId,
    ]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }
}
