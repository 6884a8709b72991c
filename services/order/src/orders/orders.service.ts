import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { createEvent, type EventData } from '@mercato/contracts';
import type { PaymentServiceClient } from '@mercato/contracts/payment';
import type { Product, ProductServiceClient } from '@mercato/contracts/product';
import type { Database, Queryable } from '@mercato/db';
import {
  fieldViolationsOf,
  GrpcError,
  isServiceError,
  notFound,
  unavailable,
  type PromiseClient,
} from '@mercato/grpc';
import { getLogContext, isSampled, parseTraceparent, type Logger } from '@mercato/logger';
import { appendToOutbox, PermanentEventError, type EventContext } from '@mercato/messaging';
import { DATABASE, LOGGER } from '@mercato/service-kit';
import { PAYMENT_CLIENT, PRODUCT_CLIENT, SERVICE_NAME } from '../order.constants.js';
import { OrderMetrics } from './order-metrics.js';
import { canTransition, OrderState } from './order-state.js';
import { OrdersRepository, type OrderRecord } from './orders.repository.js';

/** What a customer asks for. */
export interface CreateOrderCommand {
  customerId: string;
  lines: { productId: string; quantity: number }[];
  idempotencyKey: string;
  paymentToken: string;
}

/**
 * The order id is derived from (customer, idempotency key): concurrent retries of one request all
 * reserve stock under the same order id (the product service makes that idempotent) and race to
 * insert the same primary key, so exactly one order and one reservation can ever exist per key.
 * Formatted as a UUIDv8 (custom, name-based on SHA-256).
 */
export function orderIdFor(customerId: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Fingerprint of a request, to tell a retry from a different request reusing the key. */
export function requestHash(command: CreateOrderCommand): string {
  const canonical = JSON.stringify([
    command.customerId,
    command.lines.map((line) => [line.productId, line.quantity]),
    command.paymentToken,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The order use cases: create (priced, reserved, announced atomically), read, list, cancel. */
@Injectable()
export class OrdersService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly orders: OrdersRepository,
    @Inject(PRODUCT_CLIENT) private readonly products: PromiseClient<ProductServiceClient>,
    @Inject(PAYMENT_CLIENT) private readonly payments: PromiseClient<PaymentServiceClient>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: OrderMetrics,
  ) {}

  /**
   * Creates the order, or returns the one this idempotency key already created. With a new order
   * come the products as its reservation left them (the product service's answer, passed on for
   * callers that cache the catalog); a retry answered from the stored order has none.
   */
  async create(command: CreateOrderCommand): Promise<{ order: OrderRecord; products: Product[] }> {
    const hash = requestHash(command);
    const existing = await this.orders.findByIdempotencyKey(
      command.customerId,
      command.idempotencyKey,
    );
    if (existing) return { order: this.sameRequestOrConflict(existing, hash), products: [] };

    const id = orderIdFor(command.customerId, command.idempotencyKey);
    // One call reserves the stock and answers the products as they were when it was reserved:
    // the order is priced from those (the product service's prices are authoritative).
    const { products } = await this.call(
      () => this.products.reserveStock({ orderId: id, lines: command.lines }),
      { [status.ALREADY_EXISTS]: () => keyReused(command.idempotencyKey) },
    );
    const priced = await this.price(id, command.lines, products);

    const now = new Date();
    const order: OrderRecord = {
      id,
      customerId: command.customerId,
      status: OrderState.PENDING_PAYMENT,
      statusReason: '',
      refundRequestedReason: '',
      totalMinor: priced.lines.reduce((sum, line) => sum + line.unitPriceMinor * line.quantity, 0),
      currency: priced.currency,
      paymentToken: command.paymentToken,
      idempotencyKey: command.idempotencyKey,
      requestHash: hash,
      lines: priced.lines,
      traceId: sampledTraceId(),
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.orders.insertAnnounced(
      order,
      createEvent('order.created.v1', SERVICE_NAME, {
        orderId: order.id,
        customerId: order.customerId,
        lines: order.lines.map((line) => ({
          productId: line.productId,
          quantity: line.quantity,
          unitPrice: { amountMinor: line.unitPriceMinor, currency: order.currency },
        })),
        total: { amountMinor: order.totalMinor, currency: order.currency },
        paymentToken: order.paymentToken,
      }),
    );
    if (created) {
      this.metrics.created();
      this.logger.info(
        { orderId: id, totalMinor: order.totalMinor, currency: order.currency },
        'order created',
      );
      return { order, products };
    }
    // A concurrent retry of the same key inserted it first.
    const winner = await this.orders.findById(id);
    if (!winner) throw new Error(`order ${id} vanished after a conflicting insert`);
    return { order: this.sameRequestOrConflict(winner, hash), products };
  }

  /** The order; with a customer id, another customer's order does not exist. */
  async get(orderId: string, customerId?: string): Promise<OrderRecord> {
    const order = await this.orders.findById(orderId);
    if (!order || (customerId && order.customerId !== customerId))
      throw notFound(`order ${orderId} does not exist`);
    return order;
  }

  /** A page of the customer's orders, newest first. */
  list(customerId: string, limit: number, offset: number): Promise<OrderRecord[]> {
    return this.orders.listByCustomer(customerId, limit, offset);
  }

  /**
   * Cancels an order. Awaiting payment: CANCELLED and `order.cancelled.v1` in one transaction, then
   * the reservation is released at once (the product service also releases on the event, so a
   * failed call only delays it). Paid: the reason is stored, the payment service refunds, then
   * REFUNDED and `order.refunded.v1` — made here or by the refund's event, whichever comes first,
   * with the customer's reason either way. Cancelling again returns the order unchanged.
   */
  async cancel(
    orderId: string,
    customerId: string | undefined,
    reason: string,
  ): Promise<OrderRecord> {
    const order = await this.get(orderId, customerId);
    switch (order.status) {
      case OrderState.CANCELLED:
      case OrderState.REFUNDED:
        return order;
      case OrderState.PAID: {
        // The refund's event can overtake the payment service's answer; stored first, the reason
        // is there for onPaymentRefunded to record if it moves the order before this call does.
        if (!(await this.orders.recordRefundRequest(order.id, reason)))
          return this.cancel(orderId, customerId, reason);
        const { payment } = await this.payments
          .refundPayment({ orderId: order.id, reason })
          .catch((error: unknown) => {
            throw isServiceError(error) &&
              (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED)
              ? unavailable(`payment service unavailable: ${error.details}`)
              : error;
          });
        const refunded = await this.db.transaction((tx) =>
          this.move(tx, order, OrderState.REFUNDED, reason, () =>
            createEvent('order.refunded.v1', SERVICE_NAME, {
              orderId: order.id,
              paymentId: payment!.id,
              amount: { amountMinor: order.totalMinor, currency: order.currency },
            }),
          ),
        );
        if (refunded)
          this.metrics.moved(OrderState.REFUNDED, 'customer_cancelled', order.createdAt);
        break;
      }
      case OrderState.PENDING_PAYMENT: {
        const moved = await this.db.transaction((tx) =>
          this.move(tx, order, OrderState.CANCELLED, reason, () =>
            createEvent('order.cancelled.v1', SERVICE_NAME, { orderId: order.id, reason }),
          ),
        );
        if (!moved) return this.cancel(orderId, customerId, reason);
        this.metrics.moved(OrderState.CANCELLED, 'customer_cancelled', order.createdAt);
        await this.products.releaseStock({ orderId: order.id }).catch((error: unknown) => {
          this.logger.warn(
            { err: error, orderId },
            'stock release deferred to the order.cancelled event',
          );
        });
        break;
      }
    }
    this.logger.info({ orderId, reason }, 'order cancelled');
    return (await this.orders.findById(order.id))!;
  }

  /** Saga step: the payment succeeded — PAID and `order.paid.v1`; a cancelled order is refunded. */
  async onPaymentSucceeded(
    context: EventContext,
    data: EventData<'payment.succeeded.v1'>,
  ): Promise<void> {
    const order = await this.orders.findById(data.orderId);
    if (!order) throw new PermanentEventError(`payment for unknown order ${data.orderId}`);
    if (order.status === OrderState.CANCELLED) {
      // The customer cancelled while the charge was under way: give the money back.
      await this.payments.refundPayment({
        orderId: order.id,
        reason: 'order_cancelled_during_payment',
      });
      this.logger.warn({ orderId: order.id }, 'payment arrived for a cancelled order; refunded');
      return;
    }
    const paid = await this.moveOnce(context, order, OrderState.PAID, '', () =>
      createEvent('order.paid.v1', SERVICE_NAME, {
        orderId: order.id,
        paymentId: data.paymentId,
        total: { amountMinor: order.totalMinor, currency: order.currency },
      }),
    );
    if (paid) this.metrics.moved(OrderState.PAID, 'payment_succeeded', order.createdAt);
  }

  /** Saga step: the payment failed — CANCELLED with the failure code, and `order.cancelled.v1`. */
  async onPaymentFailed(
    context: EventContext,
    data: EventData<'payment.failed.v1'>,
  ): Promise<void> {
    const order = await this.orders.findById(data.orderId);
    if (!order) throw new PermanentEventError(`payment for unknown order ${data.orderId}`);
    const cancelled = await this.moveOnce(
      context,
      order,
      OrderState.CANCELLED,
      data.failureCode,
      () =>
        createEvent('order.cancelled.v1', SERVICE_NAME, {
          orderId: order.id,
          reason: data.failureCode,
        }),
    );
    if (cancelled) this.metrics.moved(OrderState.CANCELLED, 'payment_failed', order.createdAt);
  }

  /**
   * Saga step: a refund happened — REFUNDED. A customer's cancellation (its reason stored before the
   * refund was asked for) counts as `customer_cancelled` with that reason, whether this event or
   * the cancel call moves the order; a refund made at the payment service directly as `refunded`.
   */
  async onPaymentRefunded(
    context: EventContext,
    data: EventData<'payment.refunded.v1'>,
  ): Promise<void> {
    const order = await this.orders.findById(data.orderId);
    if (!order) throw new PermanentEventError(`refund for unknown order ${data.orderId}`);
    const requested = order.refundRequestedReason !== '';
    const refunded = await this.moveOnce(
      context,
      order,
      OrderState.REFUNDED,
      requested ? order.refundRequestedReason : 'refunded',
      () =>
        createEvent('order.refunded.v1', SERVICE_NAME, {
          orderId: order.id,
          paymentId: data.paymentId,
          amount: data.amount,
        }),
    );
    if (refunded)
      this.metrics.moved(
        OrderState.REFUNDED,
        requested ? 'customer_cancelled' : 'refunded',
        order.createdAt,
      );
  }

  /**
   * Moves the order along the state machine and records the event announcing it, in the caller's
   * transaction. A move that already happened (a redelivered event, a concurrent cancel) or that
   * is not allowed from the current state changes nothing and returns false.
   */
  private async move(
    tx: Queryable,
    order: OrderRecord,
    to: OrderState,
    reason: string,
    event: () => ReturnType<typeof createEvent>,
  ): Promise<boolean> {
    if (!this.allowed(order, to)) return false;
    if (!(await this.orders.updateStatus(tx, order.id, order.status, to, reason))) return false;
    await appendToOutbox(tx, event());
    return true;
  }

  /**
   * The same move made by a saga step: the inbox row, the state change and its event in one
   * statement (`EventContext.updateOnce`) instead of a transaction of three. A move the state
   * machine does not allow still records the event as processed, as a transaction that changes
   * nothing.
   */
  private async moveOnce(
    context: EventContext,
    order: OrderRecord,
    to: OrderState,
    reason: string,
    event: () => ReturnType<typeof createEvent>,
  ): Promise<boolean> {
    if (!this.allowed(order, to)) return context.transaction(() => Promise.resolve(false));
    return context.updateOnce(
      this.orders.statusChange(order.id, order.status, to, reason),
      event(),
    );
  }

  /** Whether the state machine allows the move; a move it does not is logged (unless a repeat). */
  private allowed(order: OrderRecord, to: OrderState): boolean {
    if (canTransition(order.status, to)) return true;
    if (order.status !== to)
      this.logger.warn({ orderId: order.id, from: order.status, to }, 'order transition ignored');
    return false;
  }

  private sameRequestOrConflict(order: OrderRecord, hash: string): OrderRecord {
    if (order.requestHash !== hash) throw keyReused(order.idempotencyKey);
    return order;
  }

  /**
   * The order's lines priced from the products its reservation answered, in the request's line
   * order. Products in two currencies cannot make one order: the reservation is released again.
   */
  private async price(
    orderId: string,
    lines: CreateOrderCommand['lines'],
    reserved: readonly Product[],
  ) {
    const byId = new Map(reserved.map((product) => [product.id, product]));
    const products = lines.map((line) => {
      const product = byId.get(line.productId);
      if (!product?.price)
        throw new Error(`the reservation did not answer product ${line.productId}`);
      return product;
    });
    const currencies = new Set(products.map((product) => product.price!.currency));
    if (currencies.size !== 1) {
      await this.products.releaseStock({ orderId }).catch((error: unknown) => {
        this.logger.warn({ err: error, orderId }, 'release of a refused order deferred to its TTL');
      });
      throw new GrpcError(
        status.FAILED_PRECONDITION,
        'products in one order must share a currency',
      );
    }
    return {
      currency: [...currencies][0]!,
      lines: lines.map((line, index) => {
        const product = products[index]!;
        return {
          productId: product.id,
          sku: product.sku,
          name: product.name,
          quantity: line.quantity,
          unitPriceMinor: product.price!.amountMinor,
        };
      }),
    };
  }

  /**
   * Calls the product service and translates its failures: the client's own mistakes (bad lines,
   * unknown products, not enough stock) keep their status and details; an unreachable or slow
   * product service becomes UNAVAILABLE.
   */
  private async call<T>(
    fn: () => Promise<T>,
    overrides: Partial<Record<status, () => GrpcError>> = {},
  ): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!isServiceError(error)) throw error;
      const override = overrides[error.code];
      if (override) throw override();
      switch (error.code) {
        case status.INVALID_ARGUMENT:
        case status.NOT_FOUND:
        case status.FAILED_PRECONDITION:
          throw new GrpcError(error.code, error.details, fieldViolationsOf(error));
        case status.UNAVAILABLE:
        case status.DEADLINE_EXCEEDED:
          throw unavailable(`product service unavailable: ${error.details}`);
        default:
          throw error;
      }
    }
  }
}

const keyReused = (key: string) =>
  new GrpcError(
    status.ALREADY_EXISTS,
    `idempotency key '${key}' was already used for a different request`,
  );

/** The trace id of the ambient request when it is traced (sampled), else ''. */
function sampledTraceId(): string {
  const context = getLogContext();
  const trace = parseTraceparent(
    typeof context?.traceparent === 'string' ? context.traceparent : undefined,
  );
  return isSampled(trace) ? trace.traceId : '';
}
