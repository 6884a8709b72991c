import { Agent, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { closeGrpcServer, closeHttpServer } from '../src/index.js';
import {
  addSleepService,
  listenGrpc,
  listenHttp,
  SleepClient,
  stopHttp,
  type SleepRequest,
} from './support/servers.js';

interface HttpResult {
  status: number;
  body: string;
  connection: string | undefined;
}

function get(url: string, agent: Agent): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body, connection: res.headers.connection }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('closeHttpServer', () => {
  let server: Server | undefined;
  let agent: Agent | undefined;

  afterEach(async () => {
    agent?.destroy();
    await stopHttp(server);
  });

  it('waits for the in-flight request, then closes its keep-alive connection', async () => {
    let markStarted: () => void = () => undefined;
    const requestStarted = new Promise<void>((resolve) => (markStarted = resolve));
    const started = await listenHttp((_req, res) => {
      markStarted();
      setTimeout(() => res.end('finished'), 300);
    });
    server = started.server;
    // Without the helper an idle keep-alive connection would hold close() open forever.
    server.keepAliveTimeout = 0;
    agent = new Agent({ keepAlive: true });

    const inFlight = get(`${started.baseUrl}/`, agent);
    await requestStarted;
    const closed = closeHttpServer(server);

    await expect(inFlight).resolves.toMatchObject({ status: 200, body: 'finished' });
    await expect(closed).resolves.toBe('graceful');
    expect(server.listening).toBe(false);
  });

  it('closes idle keep-alive connections right away', async () => {
    const started = await listenHttp((_req, res) => res.end('ok'));
    server = started.server;
    server.keepAliveTimeout = 0;
    agent = new Agent({ keepAlive: true });
    await expect(get(`${started.baseUrl}/`, agent)).resolves.toMatchObject({
      connection: 'keep-alive',
    });

    await expect(closeHttpServer(server)).resolves.toBe('graceful');
  });

  it('cuts a request that outlives forceAfterMs', async () => {
    const started = await listenHttp(() => undefined);
    server = started.server;
    agent = new Agent({ keepAlive: true });
    const neverAnswered = get(`${started.baseUrl}/`, agent);
    await new Promise((resolve) => server!.once('request', resolve));

    await expect(closeHttpServer(server, { forceAfterMs: 50 })).resolves.toBe('forced');
    await expect(neverAnswered).rejects.toThrow(/socket hang up/);
  });

  it('resolves at once for a server that is not listening', async () => {
    const started = await listenHttp(() => undefined);
    await stopHttp(started.server);

    await expect(closeHttpServer(started.server)).resolves.toBe('graceful');
  });
});

describe('closeGrpcServer', () => {
  let server: grpc.Server;
  let client: grpc.Client;

  async function start(): Promise<{ callStarted: Promise<void> }> {
    let markStarted: () => void = () => undefined;
    const callStarted = new Promise<void>((resolve) => (markStarted = resolve));
    server = new grpc.Server();
    addSleepService(server, markStarted);
    const address = await listenGrpc(server);
    client = new SleepClient(address, grpc.credentials.createInsecure());
    return { callStarted };
  }

  const sleep = (ms: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      (
        client as unknown as Record<
          string,
          (r: SleepRequest, cb: (e: Error | null, v?: unknown) => void) => void
        >
      ).Sleep!({ ms }, (error, value) => (error ? reject(error) : resolve(value)));
    });

  afterEach(() => {
    client.close();
    server.forceShutdown();
  });

  it('lets the in-flight call finish before resolving', async () => {
    const { callStarted } = await start();
    const inFlight = sleep(300);
    await callStarted;

    const closed = closeGrpcServer(server, { forceAfterMs: 10_000 });

    await expect(inFlight).resolves.toEqual({ slept: 300 });
    await expect(closed).resolves.toBe('graceful');
  });

  it('cancels calls still running at forceAfterMs', async () => {
    const { callStarted } = await start();
    const neverAnswered = sleep(-1);
    await callStarted;

    await expect(closeGrpcServer(server, { forceAfterMs: 50 })).resolves.toBe('forced');
    await expect(neverAnswered).rejects.toMatchObject({ code: grpc.status.CANCELLED });
  });
});
