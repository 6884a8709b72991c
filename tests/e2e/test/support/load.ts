import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { type ApiProduct, type ShopApi } from '@mercato/shop/testing';

/** What a steady load saw. */
export interface LoadReport {
  /** Orders the shop accepted (201), with the payment token used. */
  orders: Array<{
    id: string;
    customer: ShopApi;
    paymentToken: string;
    productId: string;
    quantity: number;
  }>;
  /** Every HTTP answer by status code. */
  statuses: Record<number, number>;
  /** Requests that got no HTTP answer at all (refused or reset connections, timeouts). */
  networkErrors: number;
  /** POSTs sent again with the same Idempotency-Key after a 5xx or a network error. */
  retries: number;
  /** Order attempts abandoned after every retry failed. */
  abandoned: number;
}

/** Settings of a steady load. */
export interface SteadyLoadOptions {
  /** Gateways to spread requests over; asked each time, so a test can take one out of rotation. */
  gateways: () => readonly string[];
  customers: readonly ShopApi[];
  /** Products to order, each picked in proportion to its stock so none runs out early. */
  products: readonly ApiProduct[];
  ordersPerSecond: number;
  /** Payment token of the n-th order. */
  paymentToken: (n: number) => string;
  /** Whether each order journey first browses the catalog and views the product (default true). */
  browse?: boolean;
}

/**
 * Customers arriving at a steady rate, each browsing and placing one order. A failed POST is sent
 * again with the same Idempotency-Key, as a careful client does, so an order is never lost or
 * doubled by a retry; every answer is counted so tests can assert on what users saw.
 */
export class SteadyLoad {
  readonly report: LoadReport = {
    orders: [],
    statuses: {},
    networkErrors: 0,
    retries: 0,
    abandoned: 0,
  };
  #running = true;
  #journeys: Array<Promise<void>> = [];
  #loop: Promise<void>;
  #sequence = 0;
  readonly #deck: readonly ApiProduct[];

  constructor(private readonly options: SteadyLoadOptions) {
    this.#deck = stockWeightedDeck(options.products);
    this.#loop = this.#run();
  }

  /** Stops starting journeys and waits for the running ones. */
  async stop(): Promise<LoadReport> {
    this.#running = false;
    await this.#loop;
    await Promise.all(this.#journeys);
    return this.report;
  }

  /** HTTP answers that were not 2xx, plus requests without any answer. */
  get failures(): number {
    const non2xx = Object.entries(this.report.statuses)
      .filter(([status]) => Number(status) < 200 || Number(status) > 299)
      .reduce((sum, [, count]) => sum + count, 0);
    return non2xx + this.report.networkErrors;
  }

  async #run(): Promise<void> {
    const interval = 1000 / this.options.ordersPerSecond;
    const began = Date.now();
    while (this.#running) {
      const n = this.#sequence++;
      this.#journeys.push(this.#journey(n));
      const next = began + (n + 1) * interval;
      await sleep(Math.max(0, next - Date.now()));
    }
  }

  /** The customer talking to one of the gateways in rotation (the k-th, round-robin). */
  #via(customer: ShopApi, k: number): ShopApi {
    const gateways = this.options.gateways();
    return customer.at(gateways[k % gateways.length]!);
  }

  async #call<Body>(action: () => Promise<{ status: number; body: Body }>) {
    try {
      const response = await action();
      this.report.statuses[response.status] = (this.report.statuses[response.status] ?? 0) + 1;
      return response;
    } catch {
      this.report.networkErrors += 1;
      return undefined;
    }
  }

  async #journey(n: number): Promise<void> {
    const product = this.#deck[n % this.#deck.length]!;
    const customer = this.options.customers[n % this.options.customers.length]!;
    if (this.options.browse ?? true) {
      await this.#call(() => this.#via(customer, n).request('GET', '/products?pageSize=12'));
      await this.#call(() => this.#via(customer, n + 1).request('GET', `/products/${product.id}`));
    }
    const paymentToken = this.options.paymentToken(n);
    const key = randomUUID();
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (attempt > 0) {
        this.report.retries += 1;
        await sleep(250 * Math.min(attempt, 4));
      }
      const placed = await this.#call(() =>
        this.#via(customer, n + attempt).placeOrder(
          [{ productId: product.id, quantity: 1 }],
          paymentToken,
          key,
        ),
      );
      if (placed?.status === 201 || placed?.status === 200) {
        this.report.orders.push({
          id: placed.body.id,
          customer,
          paymentToken,
          productId: product.id,
          quantity: 1,
        });
        return;
      }
      if (placed && placed.status < 500) return;
    }
    this.report.abandoned += 1;
  }
}

/** Products repeated in proportion to their stock (one card per 20 units), interleaved. */
function stockWeightedDeck(products: readonly ApiProduct[]): ApiProduct[] {
  const copies = products.map((product) => Math.max(1, Math.round(product.stockAvailable / 20)));
  const deck: ApiProduct[] = [];
  for (let round = 0; round < Math.max(...copies); round += 1)
    products.forEach((product, index) => {
      if (round < copies[index]!) deck.push(product);
    });
  return deck;
}
