import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';

/** Starts a real HTTP server on a free loopback port. */
export async function listenHttp(
  handler: RequestListener,
): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes a test HTTP server and every connection it still holds. */
export async function stopHttp(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Binds a grpc-js server to a free loopback port; returns its address. */
export async function listenGrpc(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return `127.0.0.1:${port}`;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
};

/** A one-method gRPC service with a JSON codec, so tests need no generated code. */
export const sleepServiceDefinition = {
  Sleep: {
    path: '/mercato.test.v1.SleepService/Sleep',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

/** Request of `SleepService.Sleep`: answer after `ms`, or never when `ms` is -1. */
export interface SleepRequest {
  ms: number;
}

/** Adds the sleep service to a server; `started` runs when a call arrives. */
export function addSleepService(server: grpc.Server, started: () => void = () => undefined): void {
  server.addService(sleepServiceDefinition, {
    Sleep: (
      call: grpc.ServerUnaryCall<SleepRequest, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      started();
      if (call.request.ms >= 0)
        setTimeout(() => callback(null, { slept: call.request.ms }), call.request.ms);
    },
  });
}

/** Client constructor of the sleep service. */
export const SleepClient = grpc.makeGenericClientConstructor(
  sleepServiceDefinition,
  'SleepService',
);
