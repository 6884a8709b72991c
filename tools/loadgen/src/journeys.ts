import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, CallOptions, CallResult, Operation } from './http.js';
import type { JourneyKind } from './options.js';
import type { LoadStats } from './stats.js';

interface ApiProduct {
  id: string;
  stockAvailable: number;
}
interface ProductPage {
  products: ApiProduct[];
  nextPageToken: string | null;
}
interface CategoryList {
  categories: { name: string; productCount: number }[];
}
interface ApiOrder {
  id: string;
  customerId: string;
  status: string;
  updatedAt: string;
}
interface OrderPage {
  orders: ApiOrder[];
}

/** An order the run saw reach PAID, CANCELLED or REFUNDED. */
export interface SettledOrder {
  orderId: string;
  customerId: string;
  status: string;
  paymentToken: string;
  /** When the first POST /orders was sent (ms since the epoch). */
  placedAt: number;
  /** When polling first saw the final status (ms since the epoch). */
  observedAt: number;
  /** The order's own updatedAt: when the order service recorded the final status (ms since the epoch). */
  updatedAt: number;
}

const SETTLED = new Set(['PAID', 'CANCELLED', 'REFUNDED']);
const CREATE_ORDER_ATTEMPTS = 3;

/** A simulated customer: one guest session (access token) reused across its journeys. */
export class Shopper {
  #token: string | undefined;
  #issuing: Promise<string | Failure> | undefined;

  constructor(private readonly fixedToken?: string) {
    this.#token = fixedToken;
  }

  /** The session's token, issuing a guest token first when there is none. */
  async token(api: ApiClient): Promise<string | Failure> {
    if (this.#token) return this.#token;
    this.#issuing ??= api
      .call<{ accessToken: string }>('createToken', 'POST', '/api/v1/auth/token', {
        body: { kind: 'guest' },
      })
      .then((result) => {
        this.#issuing = undefined;
        if (result.kind === 'response' && result.ok && result.body?.accessToken)
          return (this.#token = result.body.accessToken);
        return failureOf('createToken', result);
      });
    return this.#issuing;
  }

  /** Drops an expired or rejected guest token, so the next journey starts a new session. */
  forget(): void {
    if (this.fixedToken === undefined) this.#token = undefined;
  }
}

/** Why a journey did not complete; thrown by a failed step, caught by runJourney. */
class Failure extends Error {
  constructor(
    readonly reason: string,
    readonly aborted = false,
  ) {
    super(reason);
    this.name = 'JourneyFailure';
  }
}

function failureOf(operation: Operation, result: CallResult<unknown>): Failure {
  if (result.kind === 'response') return new Failure(`${operation}: HTTP ${result.status}`);
  if (result.kind === 'aborted') return new Failure('aborted', true);
  return new Failure(`${operation}: ${result.kind}`);
}

/** Everything a journey needs. */
export interface JourneyContext {
  api: ApiClient;
  stats: LoadStats;
  shopper: Shopper;
  random: () => number;
  pickPaymentToken: () => string;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /**
   * Seconds each read of a pending order asks the gateway to wait for its payment outcome
   * (`Prefer: wait`); 0 polls without asking. A gateway that does not wait is polled as before.
   */
  orderWaitSeconds: number;
  orderSettleTimeoutMs: number;
  signal: AbortSignal;
  onOrderSettled?: ((order: SettledOrder) => void) | undefined;
}

/** Runs one journey to its end and counts its outcome; never throws. */
export async function runJourney(kind: JourneyKind, context: JourneyContext): Promise<void> {
  context.stats.journeyStarted(kind);
  let outcome: Failure | undefined;
  try {
    outcome = await JOURNEYS[kind](new Steps(context));
  } catch (error) {
    outcome =
      error instanceof Failure
        ? error
        : new Failure(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (outcome === undefined) context.stats.journeyEnded(kind, 'completed');
  else if (outcome.aborted) context.stats.journeyEnded(kind, 'aborted');
  else context.stats.journeyEnded(kind, 'failed', outcome.reason);
}

/** The calls journeys are made of; a failed step throws a Failure that ends the journey. */
class Steps {
  constructor(readonly context: JourneyContext) {}

  async token(): Promise<string> {
    const token = await this.context.shopper.token(this.context.api);
    if (token instanceof Failure) throw token;
    return token;
  }

  async get<T>(operation: Operation, path: string, options: CallOptions = {}): Promise<T> {
    return this.expectBody(
      operation,
      await this.context.api.call<T>(operation, 'GET', path, options),
    );
  }

  expectBody<T>(operation: Operation, result: CallResult<T>): T {
    if (result.kind === 'response' && result.ok && result.body !== undefined) return result.body;
    if (result.kind === 'response' && result.status === 401) this.context.shopper.forget();
    throw failureOf(operation, result);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.context.random() * items.length)]!;
  }

  /** A product in stock, more likely the more of it there is (so stock runs out evenly). */
  pickInStock(products: readonly ApiProduct[]): ApiProduct | undefined {
    const inStock = products.filter((product) => product.stockAvailable > 0);
    const total = inStock.reduce((sum, product) => sum + product.stockAvailable, 0);
    let remaining = this.context.random() * total;
    for (const product of inStock) {
      remaining -= product.stockAvailable;
      if (remaining < 0) return product;
    }
    return inStock.at(-1);
  }
}

function query(parameters: Record<string, string | number>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) search.set(name, String(value));
  return search.toString();
}

/** Each journey returns undefined when it completed. */
const JOURNEYS: Record<JourneyKind, (steps: Steps) => Promise<Failure | undefined>> = {
  /** Looks at the categories, opens one and pages through it. */
  async browse(steps) {
    const token = await steps.token();
    const { categories } = await steps.get<CategoryList>('listCategories', '/api/v1/categories', {
      token,
    });
    if (categories.length === 0) return new Failure('browse: the catalog has no categories');
    const category = steps.pick(categories).name;
    const page = await steps.get<ProductPage>(
      'listProducts',
      `/api/v1/products?${query({ category, pageSize: 12 })}`,
      { token },
    );
    if (page.nextPageToken)
      await steps.get<ProductPage>(
        'listProducts',
        `/api/v1/products?${query({ category, pageSize: 12, pageToken: page.nextPageToken })}`,
        { token },
      );
    return undefined;
  },

  /** Opens the front page and one product on it. */
  async view(steps) {
    const token = await steps.token();
    const { products } = await steps.get<ProductPage>(
      'listProducts',
      `/api/v1/products?${query({ pageSize: 20 })}`,
      { token },
    );
    if (products.length === 0) return new Failure('view: the catalog is empty');
    const product = steps.pick(products);
    await steps.get<ApiProduct>(
      'getProduct',
      `/api/v1/products/${encodeURIComponent(product.id)}`,
      {
        token,
      },
    );
    return undefined;
  },

  /** Finds a product in stock, orders one and polls the order until payment settles it. */
  async order(steps) {
    const { api, stats, signal } = steps.context;
    const token = await steps.token();
    const { products } = await steps.get<ProductPage>(
      'listProducts',
      `/api/v1/products?${query({ pageSize: 100 })}`,
      { token },
    );
    const chosen = steps.pickInStock(products);
    if (!chosen) return new Failure('order: no product in stock');
    await steps.get<ApiProduct>('getProduct', `/api/v1/products/${encodeURIComponent(chosen.id)}`, {
      token,
    });

    const paymentToken = steps.context.pickPaymentToken();
    const order = { lines: [{ productId: chosen.id, quantity: 1 }], paymentToken };
    // One key for every attempt: a retry after a lost response returns the order already placed.
    const idempotencyKey = randomUUID();
    const placedAt = Date.now();
    const startedAt = performance.now();
    let created: CallResult<ApiOrder> | undefined;
    for (let attempt = 1; attempt <= CREATE_ORDER_ATTEMPTS; attempt += 1) {
      created = await api.call<ApiOrder>('createOrder', 'POST', '/api/v1/orders', {
        token,
        body: order,
        headers: { 'Idempotency-Key': idempotencyKey },
      });
      const retriable =
        created.kind === 'timeout' ||
        created.kind === 'network-error' ||
        (created.kind === 'response' && created.status >= 500);
      if (!retriable || attempt === CREATE_ORDER_ATTEMPTS) break;
      await sleep(200 * attempt, undefined, { signal }).catch(() => undefined);
    }
    const placed = steps.expectBody('createOrder', created!);
    stats.orderPlaced();

    let status = placed.status;
    let lastProblem = '';
    let pollIntervalMs = steps.context.pollIntervalMs;
    const deadline = startedAt + steps.context.orderSettleTimeoutMs;
    // Asked until the gateway answers without Preference-Applied (it cannot wait): then polled.
    let waiting = steps.context.orderWaitSeconds > 0;
    try {
      while (!SETTLED.has(status)) {
        const left = deadline - performance.now();
        if (left <= 0) {
          return new Failure(
            `checkout: not settled within ${steps.context.orderSettleTimeoutMs / 1000} s${lastProblem}`,
          );
        }
        const wait = Math.min(steps.context.orderWaitSeconds, Math.ceil(left / 1000));
        if (!waiting) {
          await sleep(pollIntervalMs, undefined, { signal }).catch(() => undefined);
          // Backing off as browsers do: fixed fast polling of slow orders would multiply the load
          // exactly when the shop is overloaded.
          pollIntervalMs = Math.min(pollIntervalMs * 1.5, steps.context.maxPollIntervalMs);
        }
        const polled = await api.call<ApiOrder>(
          waiting ? 'awaitOrder' : 'getOrder',
          'GET',
          `/api/v1/orders/${encodeURIComponent(placed.id)}`,
          waiting ? { token, headers: { prefer: `wait=${wait}` } } : { token },
        );
        if (polled.kind === 'aborted') return new Failure('aborted', true);
        if (waiting && (polled.kind !== 'response' || polled.preferenceApplied === undefined))
          waiting = false;
        if (polled.kind === 'response' && polled.ok && polled.body) {
          status = polled.body.status;
          if (SETTLED.has(status)) {
            stats.recordLatency('checkout', performance.now() - startedAt);
            steps.context.onOrderSettled?.({
              orderId: placed.id,
              customerId: placed.customerId,
              status,
              paymentToken,
              placedAt,
              observedAt: Date.now(),
              updatedAt: Date.parse(polled.body.updatedAt),
            });
          }
        } else {
          // A failed poll is retried until the deadline: the order exists, only reading it failed.
          lastProblem = ` (last poll: ${failureOf('getOrder', polled).reason})`;
        }
      }
      return undefined;
    } finally {
      stats.orderEnded(status);
    }
  },

  /** A returning customer looks at their latest order. */
  async poll(steps) {
    const token = await steps.token();
    const { orders } = await steps.get<OrderPage>(
      'listOrders',
      `/api/v1/orders?${query({ pageSize: 5 })}`,
      { token },
    );
    const latest = orders[0];
    if (latest)
      await steps.get<ApiOrder>('getOrder', `/api/v1/orders/${encodeURIComponent(latest.id)}`, {
        token,
      });
    return undefined;
  },
};
