import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { measureAtRate, measureAtRateInTurns } from './http-load.js';

describe('measureAtRate', () => {
  let server: Server;
  let url: string;
  const arrivals: number[] = [];
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      arrivals.push(performance.now());
      paths.push(request.url!);
      // Every other request to /flaky loses its connection before an answer.
      if (request.url === '/flaky' && paths.filter((path) => path === '/flaky').length % 2 === 0) {
        request.socket.destroy();
        return;
      }
      response.statusCode = request.url === '/missing' ? 404 : 200;
      response.end('{}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends rate × duration requests spread over the duration, and counts every response', async () => {
    arrivals.length = 0;
    const result = await measureAtRate(`${url}/`, {
      ratePerSecond: 40,
      warmupSeconds: 0,
      durationSeconds: 1,
      connections: 4,
    });
    expect(result).toMatchObject({ ratePerSecond: 40, responses: 40, non2xx: 0, errors: 0 });
    expect(result.latencyMs.count).toBe(40);
    expect(result.requestsPerSecond).toBe(40);
    expect(result.sendLagMs.count).toBe(40);
    // Paced, not one burst: the 40 requests arrive over most of the second (39 intervals of 25 ms).
    expect(arrivals).toHaveLength(40);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(500);
  });

  it('lets several URLs take turns, pooling the runs of each', async () => {
    paths.length = 0;
    const results = await measureAtRateInTurns(
      [`${url}/one`, `${url}/two`],
      { ratePerSecond: 20, warmupSeconds: 0, durationSeconds: 0.25, connections: 2 },
      2,
    );
    const turn = (path: string) => Array.from({ length: 5 }, () => path);
    expect(paths).toEqual([...turn('/one'), ...turn('/two'), ...turn('/one'), ...turn('/two')]);
    for (const result of results) {
      expect(result).toMatchObject({ responses: 10, durationSeconds: 0.5, requestsPerSecond: 20 });
      expect(result.runP99Ms).toHaveLength(2);
    }
  });

  it('counts each error by its kind', async () => {
    paths.length = 0;
    const [result] = await measureAtRateInTurns(
      [`${url}/flaky`],
      { ratePerSecond: 20, warmupSeconds: 0, durationSeconds: 0.5, connections: 1 },
      1,
    );
    expect(result!.responses + result!.errors).toBe(10);
    expect(result!.errors).toBeGreaterThan(0);
    expect(result!.errorKinds).toEqual({ ECONNRESET: result!.errors });
  });

  it('counts non-2xx answers and refuses a rate of 0', async () => {
    const result = await measureAtRate(`${url}/missing`, {
      ratePerSecond: 20,
      warmupSeconds: 0,
      durationSeconds: 0.5,
      connections: 2,
    }).catch((error: unknown) => error);
    expect(String(result)).toContain('no successful response');
    await expect(
      measureAtRate(`${url}/`, {
        ratePerSecond: 0,
        warmupSeconds: 0,
        durationSeconds: 1,
        connections: 1,
      }),
    ).rejects.toThrow(RangeError);
  });
});
