// The shapes of the gateway's REST API (/openapi.json) that the storefront reads.

/** An amount of money: integer minor units (cents) and an ISO 4217 currency. */
export interface Money {
  amountMinor: number;
  currency: string;
}

/** A product of the catalog. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: Money;
  imageUrl: string;
  /** Units that can be ordered now. */
  stockAvailable: number;
}

/** One page of products. */
export interface ProductPage {
  products: Product[];
  nextPageToken: string | null;
  totalSize: number;
}

/** A category and how many products it has. */
export interface Category {
  name: string;
  productCount: number;
}

/** Where an order is in the checkout saga. */
export type OrderStatus = 'PENDING_PAYMENT' | 'PAID' | 'CANCELLED' | 'REFUNDED';

/** One line of an order, priced by the shop when the order was placed. */
export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

/** An order. */
export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  /** Why the order was cancelled or refunded, e.g. `card_declined`; empty otherwise. */
  statusReason: string;
  lines: OrderLine[];
  total: Money;
  createdAt: string;
  updatedAt: string;
  /** W3C trace id of the checkout that placed the order, when it was traced. */
  traceId: string | null;
  /** Where that trace can be seen (the trace UI), when the shop knows it. */
  traceUrl: string | null;
}

/** One page of orders, newest first. */
export interface OrderPage {
  orders: Order[];
  nextPageToken: string | null;
}

/** What the token endpoint issues. */
export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  customerId: string;
}

/** Whom to issue a token for. */
export type TokenRequest = { kind: 'guest' } | { kind: 'customer'; customerId: string };

/** An RFC 9457 problem document, as the gateway answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}
