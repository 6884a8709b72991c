import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { isServiceError } from '@mercato/grpc';
import { OrderStatus, type Order } from '@mercato/contracts/order';
import type { Payment } from '@mercato/contracts/payment';
import type { Product } from '@mercato/contracts/product';
import type { Money } from '@mercato/contracts/common';
import type { z } from 'zod';
import type { TokenService } from '../auth.js';
import type { Backends } from '../backends/backends.js';
import { CatalogCache, type CatalogItem, type ProductState } from '../catalog/catalog-cache.js';
import { HttpProblem } from '../problem.js';
import { API_PREFIX, defineRoute, type RouteDefinition } from './route-registry.js';
import {
  categoryList,
  createOrderBody,
  idempotencyHeaders,
  listOrdersQuery,
  listProductsQuery,
  ORDER_STATUSES,
  orderPage,
  orderParams,
  orderSchema,
  PAYMENT_STATUSES,
  paymentSchema,
  productPage,
  productParams,
  productSchema,
  tokenRequest,
  tokenResponse,
  waitHeaders,
} from './schemas.js';
import { type OrderWaits, preferredWaitSeconds } from '../orders/order-waits.js';

const money = (value: Money | undefined) => ({
  amountMinor: value?.amountMinor ?? 0,
  currency: value?.currency ?? '',
});

/** A product as the catalog cache keeps it up to date: its view and the version it was read at. */
const catalogItem = (product: Product, view: z.input<typeof productSchema>): CatalogItem => ({
  productId: product.id,
  version: product.version,
  view,
});

/** A product's state as an order's reservation left it, for the catalog cache. */
const productState = (product: Product): ProductState => ({
  productId: product.id,
  version: product.version,
  price: money(product.price),
  stockAvailable: product.stockAvailable,
});

const toProduct = (product: Product): z.input<typeof productSchema> => ({
  id: product.id,
  sku: product.sku,
  name: product.name,
  description: product.description,
  category: product.category,
  price: money(product.price),
  imageUrl: product.imageUrl,
  stockAvailable: product.stockAvailable,
});

/** A proto enum name without its prefix, checked against the statuses the API documents. */
function enumValue<const T extends readonly string[]>(
  value: string,
  prefix: string,
  allowed: T,
): T[number] {
  const name = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (!allowed.includes(name)) throw new Error(`unexpected status ${value} from a backend`);
  return name;
}

/** The REST view of an order; `traceUi` is the trace UI's base URL, when known. */
const orderView = (order: Order, traceUi: string | undefined): z.input<typeof orderSchema> => ({
  id: order.id,
  customerId: order.customerId,
  status: enumValue(order.status, 'ORDER_STATUS_', ORDER_STATUSES),
  statusReason: order.statusReason,
  lines: order.lines.map((line) => ({
    productId: line.productId,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPrice: money(line.unitPrice),
    lineTotal: money(line.lineTotal),
  })),
  total: money(order.total),
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  traceId: order.traceId || null,
  traceUrl:
    order.traceId && traceUi ? `${traceUi.replace(/\/+$/, '')}/trace/${order.traceId}` : null,
});

const toPayment = (payment: Payment): z.input<typeof paymentSchema> => ({
  id: payment.id,
  orderId: payment.orderId,
  status: enumValue(payment.status, 'PAYMENT_STATUS_', PAYMENT_STATUSES),
  amount: money(payment.amount),
  failureCode: payment.failureCode,
  createdAt: payment.createdAt,
  updatedAt: payment.updatedAt,
});

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`a backend answered without ${what}`);
  return value;
}

/**
 * Every operation of the public API, in the order the OpenAPI document lists them. `cache` is the
 * catalog cache: an order placed through this gateway applies its reservation's products to it,
 * and a cancelled one evicts its products, at once, so the caller's next catalog read shows the new
 * stock (other replicas learn of it from the change event).
 */
export function apiRoutes(
  backends: Backends,
  tokens: TokenService,
  cache?: CatalogCache,
  options: { traceUiUrl?: string | undefined; orderWaits?: OrderWaits | undefined } = {},
): RouteDefinition[] {
  const { orderWaits } = options;
  const toOrder = (order: Order) => orderView(order, options.traceUiUrl);
  const evictLines = (order: Order) => {
    for (const line of order.lines) cache?.evictProduct(line.productId);
  };
  // A new order's answer carries its products as the reservation left them: the cache shows the
  // new stock at once. A product it does not carry (a retry answered from the stored order) is
  // evicted instead, so the caller's next read asks the product service.
  const applyReservation = (order: Order, products: readonly Product[]) => {
    const carried = new Set<string>();
    for (const product of products) {
      cache?.apply(productState(product));
      carried.add(product.id);
    }
    for (const line of order.lines)
      if (!carried.has(line.productId)) cache?.evictProduct(line.productId);
  };
  return [
    defineRoute({
      method: 'post',
      path: '/auth/token',
      operationId: 'createToken',
      summary: 'Get an access token for a demo customer or a new guest',
      tags: ['auth'],
      auth: false,
      body: tokenRequest,
      response: { status: 200, description: 'An access token', schema: tokenResponse },
      errors: [],
      async handle({ body }) {
        const token =
          body.kind === 'customer'
            ? await tokens.issue(body.customerId, 'customer')
            : await tokens.issue(`guest-${randomUUID()}`, 'guest');
        return { body: token, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/products',
      operationId: 'listProducts',
      summary: 'List products, optionally by category or search text',
      tags: ['catalog'],
      auth: false,
      query: listProductsQuery,
      response: { status: 200, description: 'A page of products', schema: productPage },
      errors: [],
      catalog: {
        key: ({ query }) =>
          `products?${JSON.stringify([query.pageSize ?? 0, query.pageToken ?? '', query.category ?? '', query.q ?? ''])}`,
      },
      async handle({ query }) {
        const page = await backends.product.call((client) =>
          client.listProducts({
            pageSize: query.pageSize ?? 0,
            pageToken: query.pageToken ?? '',
            category: query.category ?? '',
            query: query.q ?? '',
          }),
        );
        const views = page.products.map(toProduct);
        return {
          body: {
            products: views,
            nextPageToken: page.nextPageToken || null,
            totalSize: page.totalSize,
          },
          catalogItems: page.products.map((product, index) => catalogItem(product, views[index]!)),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/products/{productId}',
      operationId: 'getProduct',
      summary: 'Get one product',
      tags: ['catalog'],
      auth: false,
      params: productParams,
      response: { status: 200, description: 'The product', schema: productSchema },
      errors: [404],
      catalog: { key: ({ params }) => CatalogCache.productKey(params.productId) },
      async handle({ params }) {
        const { product } = await backends.product.call((client) =>
          client.getProduct({ id: params.productId }),
        );
        const found = present(product, 'a product');
        const view = toProduct(found);
        return { body: view, catalogItems: [catalogItem(found, view)] };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/categories',
      operationId: 'listCategories',
      summary: 'List the categories that have products',
      tags: ['catalog'],
      auth: false,
      response: { status: 200, description: 'The categories', schema: categoryList },
      errors: [],
      catalog: { key: () => 'categories' },
      async handle() {
        const { categories } = await backends.product.call((client) => client.listCategories({}));
        return {
          body: {
            categories: categories.map(({ name, productCount }) => ({ name, productCount })),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/orders',
      operationId: 'createOrder',
      summary:
        'Place an order; payment runs asynchronously (poll the order until PAID or CANCELLED)',
      tags: ['orders'],
      auth: true,
      headers: idempotencyHeaders,
      body: createOrderBody,
      response: {
        status: 201,
        description: 'The order, PENDING_PAYMENT (or as it is now, when the key was used before)',
        schema: orderSchema,
        headers: { Location: 'URL of the order' },
      },
      errors: [409],
      async handle({ headers, body, principal }) {
        const { order, products } = await backends.order.call((client) =>
          client.createOrder({
            customerId: principal.customerId,
            lines: body.lines,
            idempotencyKey: headers['Idempotency-Key'],
            paymentToken: body.paymentToken,
          }),
        );
        const placed = present(order, 'an order');
        applyReservation(placed, products);
        const created = toOrder(placed);
        return { body: created, headers: { Location: `${API_PREFIX}/orders/${created.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders',
      operationId: 'listOrders',
      summary: "List the caller's orders, newest first",
      tags: ['orders'],
      auth: true,
      query: listOrdersQuery,
      response: { status: 200, description: 'A page of orders', schema: orderPage },
      errors: [],
      async handle({ query, principal }) {
        const page = await backends.order.call((client) =>
          client.listOrders({
            customerId: principal.customerId,
            pageSize: query.pageSize ?? 0,
            pageToken: query.pageToken ?? '',
          }),
        );
        return {
          body: { orders: page.orders.map(toOrder), nextPageToken: page.nextPageToken || null },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders/{orderId}',
      operationId: 'getOrder',
      summary: 'Get one of your orders',
      tags: ['orders'],
      auth: true,
      description:
        'With `Prefer: wait=<seconds>` an order awaiting payment is answered as soon as its payment outcome is known (or after that many seconds, at most 20), instead of the client polling; `Preference-Applied` tells that the answer waited. A gateway that cannot wait answers at once, without it.',
      params: orderParams,
      headers: waitHeaders,
      response: {
        status: 200,
        description: 'The order',
        schema: orderSchema,
        headers: { 'Preference-Applied': '`wait=<seconds>` when the answer waited as asked' },
      },
      errors: [404],
      abortable: true,
      async handle({ params, principal, headers, signal }) {
        const read = async () => {
          const { order } = await backends.order.call((client) =>
            client.getOrder({ orderId: params.orderId, customerId: principal.customerId }),
          );
          return present(order, 'an order');
        };
        const seconds = preferredWaitSeconds(headers.Prefer);
        // Watched before the first read, so a payment outcome between the two is not missed.
        const watch =
          seconds === undefined ? undefined : orderWaits?.watch(params.orderId, seconds * 1000);
        if (!watch) return { body: toOrder(await read()) };
        const clientLeft = () => watch.cancel();
        signal?.addEventListener('abort', clientLeft, { once: true });
        try {
          if (signal?.aborted) watch.cancel();
          let order = await read();
          // Changed, timed out or the feed went away: what the order is now is the answer.
          if (
            order.status === OrderStatus.ORDER_STATUS_PENDING_PAYMENT &&
            (await watch.ended) !== 'cancelled'
          )
            order = await read();
          return {
            body: toOrder(order),
            headers: { 'Preference-Applied': `wait=${seconds}` },
          };
        } finally {
          signal?.removeEventListener('abort', clientLeft);
          watch.cancel();
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/orders/{orderId}/cancel',
      operationId: 'cancelOrder',
      summary: 'Cancel one of your orders (a paid order is refunded)',
      tags: ['orders'],
      auth: true,
      params: orderParams,
      response: {
        status: 200,
        description: 'The order, CANCELLED or REFUNDED',
        schema: orderSchema,
      },
      errors: [404, 409],
      async handle({ params, principal }) {
        const { order } = await backends.order.call((client) =>
          client.cancelOrder({
            orderId: params.orderId,
            customerId: principal.customerId,
            reason: 'cancelled_by_customer',
          }),
        );
        const cancelled = present(order, 'an order');
        evictLines(cancelled);
        return { body: toOrder(cancelled) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders/{orderId}/payment',
      operationId: 'getOrderPayment',
      summary: 'Get the payment of one of your orders',
      tags: ['orders'],
      auth: true,
      params: orderParams,
      response: { status: 200, description: 'The payment', schema: paymentSchema },
      errors: [404],
      async handle({ params, principal }) {
        // The payment service does not know customers' rights; ownership is proven on the order.
        await backends.order.call((client) =>
          client.getOrder({ orderId: params.orderId, customerId: principal.customerId }),
        );
        try {
          const { payment } = await backends.payment.call((client) =>
            client.getPayment({ orderId: params.orderId }),
          );
          return { body: toPayment(present(payment, 'a payment')) };
        } catch (error) {
          if (isServiceError(error) && error.code === status.NOT_FOUND)
            throw new HttpProblem('not-found', 'the order has no payment yet');
          throw error;
        }
      },
    }),
  ];
}
