import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { z } from 'zod';
import { lineItemsSchema, plainText } from '@mercato/contracts';
import { decodePageToken, encodePageToken, parseRequest } from '@mercato/grpc';
import {
  OrderStatus,
  type CancelOrderResponse,
  type CreateOrderResponse,
  type GetOrderResponse,
  type ListOrdersResponse,
  type Order,
} from '@mercato/contracts/order';
import type { OrderRecord } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

const SERVICE = 'OrderService';
const DEFAULT_PAGE_SIZE = 20;
/** Bounds that keep one order reasonable; the storefront's cart stays far below them. */
export const MAX_LINES = 50;
export const MAX_QUANTITY = 100;

const id = plainText(128).min(1, 'must not be empty');

const createOrderRequest = z.object({
  customerId: id,
  lines: lineItemsSchema({ maxLines: MAX_LINES, maxQuantity: MAX_QUANTITY }),
  idempotencyKey: plainText(128).min(1, 'must not be empty'),
  paymentToken: plainText(256).min(1, 'must not be empty'),
});
const getOrderRequest = z.object({
  orderId: z.uuid('must be an order id'),
  customerId: plainText(128),
});
const listOrdersRequest = z.object({
  customerId: id,
  pageSize: z.number().int().min(0).max(100, 'must be at most 100'),
  pageToken: plainText(200),
});
const cancelOrderRequest = getOrderRequest.extend({ reason: plainText(200) });

/** The stored order as the mercato.order.v1.Order message. */
export const toOrderMessage = (order: OrderRecord): Order => ({
  id: order.id,
  customerId: order.customerId,
  status: OrderStatus[`ORDER_STATUS_${order.status}`],
  lines: order.lines.map((line) => ({
    productId: line.productId,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: { amountMinor: line.unitPriceMinor, currency: order.currency },
    lineTotal: { amountMinor: line.unitPriceMinor * line.quantity, currency: order.currency },
  })),
  total: { amountMinor: order.totalMinor, currency: order.currency },
  statusReason: order.statusReason,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
  traceId: order.traceId,
});

/** mercato.order.v1.OrderService. */
@Controller()
export class OrdersGrpcController {
  constructor(private readonly orders: OrdersService) {}

  @GrpcMethod(SERVICE, 'CreateOrder')
  async createOrder(request: unknown): Promise<CreateOrderResponse> {
    const command = parseRequest(createOrderRequest, request);
    const { order, products } = await this.orders.create(command);
    return { order: toOrderMessage(order), products };
  }

  @GrpcMethod(SERVICE, 'GetOrder')
  async getOrder(request: unknown): Promise<GetOrderResponse> {
    const { orderId, customerId } = parseRequest(getOrderRequest, request);
    return { order: toOrderMessage(await this.orders.get(orderId, customerId || undefined)) };
  }

  @GrpcMethod(SERVICE, 'ListOrders')
  async listOrders(request: unknown): Promise<ListOrdersResponse> {
    const { customerId, pageSize, pageToken } = parseRequest(listOrdersRequest, request);
    const limit = pageSize || DEFAULT_PAGE_SIZE;
    const offset = decodePageToken(pageToken);
    // One extra row tells whether another page exists without counting them all.
    const orders = await this.orders.list(customerId, limit + 1, offset);
    return {
      orders: orders.slice(0, limit).map(toOrderMessage),
      nextPageToken: orders.length > limit ? encodePageToken(offset + limit) : '',
    };
  }

  @GrpcMethod(SERVICE, 'CancelOrder')
  async cancelOrder(request: unknown): Promise<CancelOrderResponse> {
    const { orderId, customerId, reason } = parseRequest(cancelOrderRequest, request);
    const order = await this.orders.cancel(
      orderId,
      customerId || undefined,
      reason || 'cancelled_by_customer',
    );
    return { order: toOrderMessage(order) };
  }
}
