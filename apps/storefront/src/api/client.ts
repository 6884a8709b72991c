import type {
  Category,
  IssuedToken,
  Order,
  OrderPage,
  Problem,
  Product,
  ProductPage,
  TokenRequest,
} from './types.js';

/** Prefix of the gateway's versioned API, on the storefront's own origin. */
export const API_BASE = '/api/v1';

/** What went wrong with a call, sorted into the cases the pages handle differently. */
export type ApiErrorKind =
  | 'unreachable'
  | 'unavailable'
  | 'unauthenticated'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'rate-limited'
  | 'server';

/** A failed API call, with a message written for the shopper. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number,
    readonly problem?: Problem,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const MESSAGES: Record<ApiErrorKind, string> = {
  unreachable: 'The shop cannot be reached. Check your connection and try again.',
  unavailable: 'Part of the shop is unavailable right now. Please try again in a moment.',
  unauthenticated: 'Your session has ended. Please sign in again.',
  'not-found': 'We could not find what you were looking for.',
  conflict: 'That is no longer possible.',
  invalid: 'The shop did not accept that request.',
  'rate-limited': 'Too many requests. Please wait a moment and try again.',
  server: 'Something went wrong on our side. Please try again.',
};

function kindOf(status: number): ApiErrorKind {
  if (status === 401) return 'unauthenticated';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid';
  return 'server';
}

// Details of these kinds are written for callers (e.g. "not enough stock: …"); the others are
// replaced by a message that tells the shopper what to do.
const SHOWS_DETAIL = new Set<ApiErrorKind>(['not-found', 'conflict', 'invalid']);

async function problemOf(response: Response): Promise<Problem | undefined> {
  if (!response.headers.get('content-type')?.startsWith('application/problem+json'))
    return undefined;
  try {
    return (await response.json()) as Problem;
  } catch {
    return undefined;
  }
}

/** The error a failed response stands for. */
export async function errorOf(response: Response): Promise<ApiError> {
  const kind = kindOf(response.status);
  const problem = await problemOf(response);
  const message = SHOWS_DETAIL.has(kind) && problem?.detail ? problem.detail : MESSAGES[kind];
  return new ApiError(kind, message, response.status, problem);
}

/** How the client reaches the API and learns the caller's token. */
export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** The current access token, if the shopper has signed in. */
  accessToken?: () => string | undefined;
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Sees the successful response before its body is read (for its headers). */
  onResponse?: (response: Response) => void;
}

/** The gateway's REST API, typed; every failure is an {@link ApiError}. */
export class ApiClient {
  readonly #fetch: typeof fetch;
  readonly #accessToken: () => string | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#accessToken = options.accessToken ?? (() => undefined);
  }

  /** A page of products, optionally of one category or matching a search. */
  listProducts(
    filter: { category?: string; q?: string; pageToken?: string; pageSize?: number },
    signal?: AbortSignal,
  ): Promise<ProductPage> {
    return this.#request('GET', '/products', { query: filter, signal });
  }

  /** One product. */
  getProduct(productId: string, signal?: AbortSignal): Promise<Product> {
    return this.#request('GET', `/products/${encodeURIComponent(productId)}`, { signal });
  }

  /** The categories that have products. */
  async listCategories(signal?: AbortSignal): Promise<Category[]> {
    const { categories } = await this.#request<{ categories: Category[] }>('GET', '/categories', {
      signal,
    });
    return categories;
  }

  /** An access token for a demo customer or a new guest. */
  issueToken(request: TokenRequest): Promise<IssuedToken> {
    return this.#request('POST', '/auth/token', { body: request });
  }

  /**
   * Places an order. The idempotency key makes a retry of the same checkout (after a lost
   * response) return the same order instead of placing a second one.
   */
  placeOrder(
    lines: { productId: string; quantity: number }[],
    paymentToken: string,
    idempotencyKey: string,
  ): Promise<Order> {
    return this.#request('POST', '/orders', {
      body: { lines, paymentToken },
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  /** The signed-in shopper's orders, newest first. */
  listOrders(pageToken?: string, signal?: AbortSignal): Promise<OrderPage> {
    return this.#request('GET', '/orders', { query: { pageToken }, signal });
  }

  /** One of the shopper's orders. */
  getOrder(orderId: string, signal?: AbortSignal): Promise<Order> {
    return this.#request('GET', `/orders/${encodeURIComponent(orderId)}`, { signal });
  }

  /**
   * The order, once its payment outcome is known or after `seconds` (`Prefer: wait`), whichever
   * comes first; `waited` tells whether the gateway waited. A gateway that cannot wait answers at
   * once, and the caller asks again after a pause.
   */
  async awaitOrder(
    orderId: string,
    seconds: number,
    signal?: AbortSignal,
  ): Promise<{ order: Order; waited: boolean }> {
    let waited = false;
    const order = await this.#request<Order>('GET', `/orders/${encodeURIComponent(orderId)}`, {
      signal,
      headers: { Prefer: `wait=${seconds}` },
      onResponse: (response) => {
        waited = response.headers.has('Preference-Applied');
      },
    });
    return { order, waited };
  }

  /** Cancels an order; a paid order is refunded. */
  cancelOrder(orderId: string): Promise<Order> {
    return this.#request('POST', `/orders/${encodeURIComponent(orderId)}/cancel`, {});
  }

  async #request<T>(method: 'GET' | 'POST', path: string, options: RequestOptions): Promise<T> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined && value !== '') query.set(name, String(value));
    const url = `${API_BASE}${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    const token = this.#accessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError('unreachable', MESSAGES.unreachable, 0);
    }
    if (!response.ok) throw await errorOf(response);
    options.onResponse?.(response);
    return (await response.json()) as T;
  }
}
