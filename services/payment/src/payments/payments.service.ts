import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { createEvent, type EventData } from '@mercato/contracts';
import { OrderStatus, type Order, type OrderServiceClient } from '@mercato/contracts/order';
import type { Database } from '@mercato/db';
import {
  failedPrecondition,
  isServiceError,
  notFound,
  unavailable,
  type PromiseClient,
} from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { appendToOutbox, type EventContext } from '@mercato/messaging';
import { DATABASE, LOGGER } from '@mercato/service-kit';
import { SpanKind, SpanStatusCode, inChildSpan } from '@mercato/tracing';
import { ORDER_CLIENT, PAYMENT_PROVIDER, SERVICE_NAME } from '../payment.constants.js';
import {
  ProviderTimeoutError,
  type ChargeResult,
  type PaymentProvider,
} from '../provider/payment-provider.js';
import { PaymentsRepository, PaymentState, type PaymentRecord } from './payments.repository.js';

/** How often a charge that timed out is tried again (same idempotency key) before giving up. */
const CHARGE_ATTEMPTS = 3;

/** Idempotency keys sent to the provider: one charge and one refund per order, ever. */
export const chargeKey = (orderId: string) => `charge:${orderId}`;
export const refundKey = (orderId: string) => `refund:${orderId}`;

/**
 * Charges orders and refunds them. Exactly one payment per order: the provider sees one
 * idempotency key per order (so a retry after a crash or a redelivered event cannot move money
 * twice), and the payment row is unique per order (so it is recorded once).
 */
@Injectable()
export class PaymentsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly payments: PaymentsRepository,
    @Inject(ORDER_CLIENT) private readonly orders: PromiseClient<OrderServiceClient>,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Saga step: an order was created — verify it with the order service, charge, record, announce. */
  async onOrderCreated(context: EventContext, data: EventData<'order.created.v1'>): Promise<void> {
    // No look-up of an existing payment first: a redelivery is stopped by what it meets — an order
    // no longer awaiting payment is not charged, the provider answers a repeated key with the
    // first outcome, and insertOnce records nothing twice (the inbox, one payment per order).
    const order = await this.fetchOrder(data.orderId);
    const mismatch = this.mismatch(order, data);
    const result = await inChildSpan(
      'charge payment',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'mercato.order.id': data.orderId,
          'mercato.payment.amount_minor': data.total.amountMinor,
          'mercato.payment.currency': data.total.currency,
        },
      },
      async (span): Promise<ChargeResult> => {
        const charged: ChargeResult = mismatch
          ? { outcome: 'declined', code: 'invalid_token', message: mismatch }
          : await this.chargeWithRetry(data);
        span?.setAttribute('mercato.payment.outcome', charged.outcome);
        if (charged.outcome !== 'succeeded') {
          // Not a fault of the shop, but the one thing a trace of this checkout must show.
          span?.setStatus({
            code: SpanStatusCode.ERROR,
            message: `payment ${charged.outcome}: ${charged.code}`,
          });
        }
        return charged;
      },
    );

    const payment: PaymentRecord = {
      id: randomUUID(),
      orderId: data.orderId,
      customerId: data.customerId,
      status: result.outcome === 'succeeded' ? PaymentState.SUCCEEDED : PaymentState.FAILED,
      amountMinor: data.total.amountMinor,
      currency: data.total.currency,
      providerReference: result.outcome === 'succeeded' ? result.reference : '',
      failureCode: result.outcome === 'succeeded' ? '' : mismatch ? 'order_invalid' : result.code,
      refundReference: '',
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    // The payment, the inbox row and the announcement in one statement; none of it when the event
    // was processed before, no payment or announcement when the order already has a payment.
    const event =
      result.outcome === 'succeeded'
        ? createEvent('payment.succeeded.v1', SERVICE_NAME, {
            orderId: payment.orderId,
            paymentId: payment.id,
            amount: data.total,
            providerReference: result.reference,
          })
        : createEvent('payment.failed.v1', SERVICE_NAME, {
            orderId: payment.orderId,
            paymentId: payment.id,
            failureCode: mismatch ? 'order_invalid' : result.code,
            message: result.message,
          });
    if (!(await context.insertOnce(this.payments.newRow(payment), event))) return;
    this.logger.info(
      { orderId: payment.orderId, status: payment.status, failureCode: payment.failureCode },
      'payment recorded',
    );
  }

  /** The payment of an order, or NOT_FOUND. */
  async get(orderId: string): Promise<PaymentRecord> {
    const payment = await this.payments.findByOrder(orderId);
    if (!payment) throw notFound(`order ${orderId} has no payment`);
    return payment;
  }

  /** Refunds a succeeded payment in full, once; refunding again returns the refunded payment. */
  async refund(orderId: string, reason: string): Promise<PaymentRecord> {
    const payment = await this.get(orderId);
    if (payment.status === PaymentState.REFUNDED) return payment;
    if (payment.status !== PaymentState.SUCCEEDED) {
      throw failedPrecondition(
        `payment of order ${orderId} is ${payment.status}; only a succeeded payment can be refunded`,
      );
    }
    const { reference } = await this.provider.refund({
      idempotencyKey: refundKey(orderId),
      chargeReference: payment.providerReference,
      amount: { amountMinor: payment.amountMinor, currency: payment.currency },
    });
    await this.db.transaction(async (tx) => {
      if (!(await this.payments.markRefunded(tx, orderId, reference))) return;
      await appendToOutbox(
        tx,
        createEvent('payment.refunded.v1', SERVICE_NAME, {
          orderId,
          paymentId: payment.id,
          amount: { amountMinor: payment.amountMinor, currency: payment.currency },
        }),
      );
    });
    this.logger.info({ orderId, reason }, 'payment refunded');
    return this.get(orderId);
  }

  private async fetchOrder(orderId: string): Promise<Order | undefined> {
    try {
      return (await this.orders.getOrder({ orderId, customerId: '' })).order;
    } catch (error) {
      if (isServiceError(error) && error.code === status.NOT_FOUND) return undefined;
      // Transient: the consumer retries the event with backoff, then dead-letters it.
      throw unavailable(
        `order service unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Why the event must not be charged, or undefined when the order checks out. */
  private mismatch(
    order: Order | undefined,
    data: EventData<'order.created.v1'>,
  ): string | undefined {
    if (!order) return `order ${data.orderId} does not exist`;
    if (order.customerId !== data.customerId) return 'order belongs to another customer';
    if (
      order.total?.amountMinor !== data.total.amountMinor ||
      order.total.currency !== data.total.currency
    ) {
      return 'order total differs from the event';
    }
    if (order.status !== OrderStatus.ORDER_STATUS_PENDING_PAYMENT)
      return `order is ${order.status}, not awaiting payment`;
    return undefined;
  }

  private async chargeWithRetry(data: EventData<'order.created.v1'>): Promise<ChargeResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.provider.charge({
          idempotencyKey: chargeKey(data.orderId),
          token: data.paymentToken,
          amount: data.total,
        });
      } catch (error) {
        if (!(error instanceof ProviderTimeoutError) || attempt >= CHARGE_ATTEMPTS) throw error;
        this.logger.warn(
          { orderId: data.orderId, attempt },
          'payment provider timed out; retrying with the same idempotency key',
        );
        await delay(50 * 2 ** attempt);
      }
    }
  }
}
