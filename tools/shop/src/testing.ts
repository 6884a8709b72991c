/**
 * A small client of the gateway's public REST API, driven the way a user's program would: for the
 * suites that prove the running shop end to end (tools/shop, tests/e2e).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** A product as the API returns it. */
export interface ApiProduct {
  id: string;
  name: string;
  price: { amountMinor: number; currency: string };
  stockAvailable: number;
}

/** An order as the API returns it. */
export interface ApiOrder {
  id: string;
  status: string;
  statusReason: string;
  lines: Array<{ productId: string; quantity: number }>;
}

/** A payment as the API returns it. */
export interface ApiPayment {
  id: string;
  orderId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED';
  failureCode: string;
}

/** An HTTP answer: status and parsed JSON body. */
export interface ApiResponse<Body> {
  status: number;
  body: Body;
  /** The response's headers (`traceparent`, `x-request-id`, `location`…). */
  headers: Headers;
}

/** Order states that never change again. */
export const TERMINAL_ORDER_STATES: ReadonlySet<string> = new Set(['PAID', 'CANCELLED']);

/** A signed-in API client of one customer (demo customer or guest). */
export class ShopApi {
  private constructor(
    readonly baseUrl: string,
    private readonly accessToken: string,
    readonly customerId: string,
  ) {}

  /** Signs in as a demo customer (`demo-alice`…) or, without one, as a new guest. */
  static async signIn(baseUrl: string, customerId?: string): Promise<ShopApi> {
    const response = await fetch(`${baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(customerId ? { kind: 'customer', customerId } : { kind: 'guest' }),
    });
    if (response.status !== 200)
      throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
    const token = (await response.json()) as { accessToken: string; customerId: string };
    return new ShopApi(baseUrl, token.accessToken, token.customerId);
  }

  /** The same signed-in customer talking to another gateway (tokens are valid on every gateway of a shop). */
  at(baseUrl: string): ShopApi {
    return new ShopApi(baseUrl, this.accessToken, this.customerId);
  }

  /** Any call, never throwing on an HTTP error status (callers count those). */
  async request<Body>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<Body>> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.accessToken}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as Body,
      headers: response.headers,
    };
  }

  /** Every product of the catalog, following the page tokens. */
  async allProducts(): Promise<ApiProduct[]> {
    const products: ApiProduct[] = [];
    let pageToken: string | null = null;
    do {
      const query: string = pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : '';
      const page = await this.request<{ products: ApiProduct[]; nextPageToken: string | null }>(
        'GET',
        `/products?pageSize=100${query}`,
      );
      if (page.status !== 200) throw new Error(`GET /products answered ${page.status}`);
      products.push(...page.body.products);
      pageToken = page.body.nextPageToken;
    } while (pageToken);
    return products;
  }

  /** POST /orders with a fresh Idempotency-Key (or the given one). */
  placeOrder(
    lines: Array<{ productId: string; quantity: number }>,
    paymentToken: string,
    idempotencyKey: string = randomUUID(),
  ): Promise<ApiResponse<ApiOrder>> {
    return this.request<ApiOrder>('POST', '/orders', {
      body: { lines, paymentToken },
      headers: { 'idempotency-key': idempotencyKey },
    });
  }

  /** GET /orders/{id}. */
  order(orderId: string): Promise<ApiResponse<ApiOrder>> {
    return this.request<ApiOrder>('GET', `/orders/${orderId}`);
  }

  /** GET /orders/{id}/payment. */
  payment(orderId: string): Promise<ApiResponse<ApiPayment>> {
    return this.request<ApiPayment>('GET', `/orders/${orderId}/payment`);
  }

  /** Polls an order until it is PAID or CANCELLED; throws with the last state after `timeoutMs`. */
  async waitForTerminal(orderId: string, timeoutMs = 60_000): Promise<ApiOrder> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse<ApiOrder> | undefined;
    for (;;) {
      last = await this.order(orderId).catch(() => undefined);
      if (last?.status === 200 && TERMINAL_ORDER_STATES.has(last.body.status)) return last.body;
      if (Date.now() > deadline)
        throw new Error(
          `order ${orderId} is not terminal after ${timeoutMs} ms: ${JSON.stringify(last?.body)}`,
        );
      await sleep(200);
    }
  }
}
