import { describe, expect, it } from '@jest/globals';
import { ApiClient, ApiError } from './client.js';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that answers every call with `respond` and records what it was asked. */
function fakeFetch(respond: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  // The client only ever passes a URL string.
  const fetch: typeof globalThis.fetch = async (url, init = {}) => {
    calls.push({ url: url as string, init });
    return respond();
  };
  return { fetch, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 't', status, detail }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });

const failureOf = async (promise: Promise<unknown>): Promise<ApiError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the call did not fail');
};

describe('ApiClient', () => {
  it("asks the gateway to wait for an order's payment, and tells whether it did", async () => {
    const order = { id: 'o1', status: 'PAID' };
    const applied = fakeFetch(
      () =>
        new Response(JSON.stringify(order), {
          headers: { 'Content-Type': 'application/json', 'Preference-Applied': 'wait=15' },
        }),
    );
    expect(await new ApiClient({ fetch: applied.fetch }).awaitOrder('o1', 15)).toEqual({
      order,
      waited: true,
    });
    expect(applied.calls[0]!.init.headers).toMatchObject({ Prefer: 'wait=15' });
    expect(applied.calls[0]!.url).toMatch(/\/orders\/o1$/);

    const ignored = fakeFetch(() => json(order));
    expect(await new ApiClient({ fetch: ignored.fetch }).awaitOrder('o1', 15)).toEqual({
      order,
      waited: false,
    });
  });

  it('builds query strings from the filters that are set', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json({ products: [], nextPageToken: null, totalSize: 0 }),
    );
    const api = new ApiClient({ fetch });
    await api.listProducts({ category: 'home', q: 'lamp & shade', pageSize: 24 });
    await api.listProducts({ q: '' });
    expect(calls.map((call) => call.url)).toEqual([
      '/api/v1/products?category=home&q=lamp+%26+shade&pageSize=24',
      '/api/v1/products',
    ]);
  });

  it('sends the bearer token, the idempotency key and a JSON body when placing an order', async () => {
    const { fetch, calls } = fakeFetch(() => json({ id: 'o1' }, 201));
    const api = new ApiClient({ fetch, accessToken: () => 'jwt-1' });
    await api.placeOrder([{ productId: 'p1', quantity: 2 }], 'tok_success', 'key-1');
    const [call] = calls;
    expect(call!.url).toBe('/api/v1/orders');
    expect(call!.init.method).toBe('POST');
    expect(call!.init.headers).toMatchObject({
      Authorization: 'Bearer jwt-1',
      'Idempotency-Key': 'key-1',
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(call!.init.body as string)).toEqual({
      lines: [{ productId: 'p1', quantity: 2 }],
      paymentToken: 'tok_success',
    });
  });

  it('escapes ids in paths', async () => {
    const { fetch, calls } = fakeFetch(() => json({}));
    await new ApiClient({ fetch }).getProduct('a/b?c');
    expect(calls[0]!.url).toBe('/api/v1/products/a%2Fb%3Fc');
  });

  it("passes on the shop's explanation of conflicts, e.g. missing stock", async () => {
    const { fetch } = fakeFetch(() =>
      problem(409, 'not enough stock: product p1: requested 5, available 2'),
    );
    const error = await failureOf(new ApiClient({ fetch }).getOrder('o1'));
    expect(error.kind).toBe('conflict');
    expect(error.message).toBe('not enough stock: product p1: requested 5, available 2');
  });

  it('tells the shopper what to do when a backend is down or the network is gone', async () => {
    const unavailable = await failureOf(
      new ApiClient({
        fetch: fakeFetch(() => problem(503, 'product unavailable')).fetch,
      }).listCategories(),
    );
    expect(unavailable.kind).toBe('unavailable');
    expect(unavailable.message).toBe(
      'Part of the shop is unavailable right now. Please try again in a moment.',
    );

    const badGateway = await failureOf(
      new ApiClient({
        fetch: fakeFetch(() => new Response('<html>', { status: 502 })).fetch,
      }).listCategories(),
    );
    expect(badGateway.kind).toBe('unavailable');

    const offline = await failureOf(
      new ApiClient({
        fetch: fakeFetch(() => Promise.reject(new TypeError('Failed to fetch'))).fetch,
      }).listCategories(),
    );
    expect(offline.kind).toBe('unreachable');
    expect(offline.status).toBe(0);
  });

  it('never shows the details of internal errors', async () => {
    const { fetch } = fakeFetch(() => problem(500, 'stack trace of something'));
    const error = await failureOf(new ApiClient({ fetch }).listOrders());
    expect(error.kind).toBe('server');
    expect(error.message).toBe('Something went wrong on our side. Please try again.');
  });

  it('reports an expired session as such', async () => {
    const { fetch } = fakeFetch(() => problem(401, 'the access token has expired'));
    const error = await failureOf(new ApiClient({ fetch, accessToken: () => 'old' }).listOrders());
    expect(error.kind).toBe('unauthenticated');
  });
});
