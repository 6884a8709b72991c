import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiClient } from '../src/http.js';
import { LoadStats } from '../src/stats.js';

/**
 * A server that closes a kept-alive connection as its second request arrives, without answering:
 * what a client meets when its request goes out on a connection the server's keep-alive timeout
 * is closing at that moment.
 */
function closingServer(): Server {
  const served = new WeakMap<object, number>();
  return createServer((req, res) => {
    const count = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, count);
    if (count === 2) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
  });
}

describe('ApiClient on a kept-alive connection the server closes', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = closingServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** The first call opens the connection; the second goes out on it as the server closes it. */
  async function secondCall(method: 'GET' | 'POST', headers: Record<string, string> = {}) {
    const stats = new LoadStats(Date.now());
    const client = new ApiClient(baseUrl, stats, new AbortController().signal, 5_000);
    try {
      const first = await client.call('listProducts', 'GET', '/first');
      expect(first).toMatchObject({ kind: 'response', status: 200 });
      const second = await client.call('createOrder', method, '/second', {
        headers,
        ...(method === 'POST' ? { body: { sku: 'x' } } : {}),
      });
      const now = Date.now();
      const { requests } = stats.summary({
        baseUrl,
        endedAt: now,
        schedulingEndedAt: now,
        stoppedBy: 'duration',
        targetRate: 1,
      });
      return { second, requests };
    } finally {
      client.close();
    }
  }

  it('sends a GET again on a new connection and counts it once, with its answer', async () => {
    const { second, requests } = await secondCall('GET');
    expect(second).toMatchObject({ kind: 'response', status: 200, body: { url: '/second' } });
    expect(requests).toMatchObject({
      total: 2,
      networkErrors: 0,
      resentOnClosedConnection: 1,
    });
  });

  it('sends a POST with an Idempotency-Key again, and not one without: that is a network error', async () => {
    const keyed = await secondCall('POST', { 'Idempotency-Key': 'k-1' });
    expect(keyed.second).toMatchObject({ kind: 'response', status: 200 });
    expect(keyed.requests.resentOnClosedConnection).toBe(1);

    const unkeyed = await secondCall('POST');
    expect(unkeyed.second).toMatchObject({ kind: 'network-error' });
    expect(unkeyed.requests).toMatchObject({ networkErrors: 1, resentOnClosedConnection: 0 });
  });
});
