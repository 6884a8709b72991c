import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { type Registry } from 'prom-client';
import {
  createMetrics,
  grpcClientMetricsInterceptor,
  grpcServerMetricsInterceptor,
} from '../src/index.js';
import {
  parseExposition,
  promtoolCheckMetrics,
  sampleValue,
  type Sample,
} from './support/exposition.js';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
};
const method = (name: string, responseStream = false) => ({
  path: `/mercato.test.v1.GreeterService/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
// A real gRPC service with a JSON codec, so the test needs no generated code.
const greeterDefinition = {
  Greet: method('Greet'),
  Greetings: method('Greetings', true),
  Wait: method('Wait'),
} satisfies grpc.ServiceDefinition;

interface GreetRequest {
  name: string;
}
interface Greeting {
  message: string;
}
interface GreeterClient extends grpc.Client {
  Greet(request: GreetRequest, callback: grpc.requestCallback<Greeting>): grpc.ClientUnaryCall;
  Greetings(request: GreetRequest): grpc.ClientReadableStream<Greeting>;
  Wait(request: GreetRequest, callback: grpc.requestCallback<Greeting>): grpc.ClientUnaryCall;
}
const GreeterClientConstructor = grpc.makeGenericClientConstructor(
  greeterDefinition,
  'GreeterService',
);

const SERVICE = 'mercato.test.v1.GreeterService';

describe('gRPC metrics on a real grpc-js server and client', () => {
  let serverRegistry: Registry;
  let clientRegistry: Registry;
  let server: grpc.Server;
  let client: GreeterClient;
  let serverStartedWait: Promise<void>;
  let serverSawCancel: Promise<void>;

  beforeAll(async () => {
    serverRegistry = createMetrics({ service: 'greeter-server', defaultMetrics: false });
    clientRegistry = createMetrics({ service: 'greeter-client', defaultMetrics: false });

    let markWaitStarted: () => void = () => undefined;
    let markCancelled: () => void = () => undefined;
    serverStartedWait = new Promise((resolve) => (markWaitStarted = resolve));
    serverSawCancel = new Promise((resolve) => (markCancelled = resolve));
    server = new grpc.Server({ interceptors: [grpcServerMetricsInterceptor(serverRegistry)] });
    server.addService(greeterDefinition, {
      Greet: (
        call: grpc.ServerUnaryCall<GreetRequest, Greeting>,
        callback: grpc.sendUnaryData<Greeting>,
      ) => {
        if (call.request.name === '') {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'name is required' });
        } else if (call.request.name === 'nobody') {
          callback({ code: grpc.status.NOT_FOUND, details: 'no such person' });
        } else {
          callback(null, { message: `Hello, ${call.request.name}` });
        }
      },
      Greetings: (call: grpc.ServerWritableStream<GreetRequest, Greeting>) => {
        call.write({ message: `Hello, ${call.request.name}` });
        call.write({ message: `Welcome back, ${call.request.name}` });
        call.end();
      },
      Wait: (call: grpc.ServerUnaryCall<GreetRequest, Greeting>) => {
        call.on('cancelled', markCancelled);
        markWaitStarted();
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, boundPort) => (error ? reject(error) : resolve(boundPort)),
      );
    });
    client = new GreeterClientConstructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      interceptors: [grpcClientMetricsInterceptor(clientRegistry)],
    }) as unknown as GreeterClient;
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const greet = (name: string): Promise<Greeting> =>
    new Promise((resolve, reject) => {
      client.Greet({ name }, (error, response) => (error ? reject(error) : resolve(response!)));
    });

  const scrape = async (registry: Registry): Promise<Sample[]> =>
    parseExposition(await registry.metrics());

  it('counts completed unary calls by status code on both sides', async () => {
    await expect(greet('Ada')).resolves.toEqual({ message: 'Hello, Ada' });
    await expect(greet('Grace')).resolves.toEqual({ message: 'Hello, Grace' });
    await expect(greet('nobody')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(greet('')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });

    for (const [side, registry, service] of [
      ['server', serverRegistry, 'greeter-server'],
      ['client', clientRegistry, 'greeter-client'],
    ] as const) {
      const samples = await scrape(registry);
      const labels = { grpc_type: 'unary', grpc_service: SERVICE, grpc_method: 'Greet', service };
      expect(
        sampleValue(samples, `grpc_${side}_handled_total`, { ...labels, grpc_code: 'OK' }),
      ).toBe(2);
      expect(
        sampleValue(samples, `grpc_${side}_handled_total`, { ...labels, grpc_code: 'NOT_FOUND' }),
      ).toBe(1);
      expect(
        sampleValue(samples, `grpc_${side}_handled_total`, {
          ...labels,
          grpc_code: 'INVALID_ARGUMENT',
        }),
      ).toBe(1);
      expect(
        sampleValue(samples, `grpc_${side}_handling_seconds_count`, { ...labels, grpc_code: 'OK' }),
      ).toBe(2);
    }
  });

  it('labels server-streaming calls with their type', async () => {
    const messages: Greeting[] = [];
    const stream = client.Greetings({ name: 'Linus' });
    stream.on('data', (message: Greeting) => messages.push(message));
    await new Promise((resolve, reject) => stream.on('status', resolve).on('error', reject));

    expect(messages).toHaveLength(2);
    const labels = { grpc_type: 'server_stream', grpc_method: 'Greetings', grpc_code: 'OK' };
    expect(sampleValue(await scrape(serverRegistry), 'grpc_server_handled_total', labels)).toBe(1);
    expect(sampleValue(await scrape(clientRegistry), 'grpc_client_handled_total', labels)).toBe(1);
  });

  it('counts a call the client cancelled as CANCELLED on both sides', async () => {
    let call: grpc.ClientUnaryCall | undefined;
    const outcome = new Promise<grpc.ServiceError | null>((resolve) => {
      call = client.Wait({ name: 'Ada' }, (error) => resolve(error));
    });
    // Cancel only once the server is handling the call, so both sides see it.
    await serverStartedWait;
    call!.cancel();

    await expect(outcome).resolves.toMatchObject({ code: grpc.status.CANCELLED });
    await serverSawCancel;

    const labels = { grpc_method: 'Wait', grpc_code: 'CANCELLED' };
    expect(sampleValue(await scrape(serverRegistry), 'grpc_server_handled_total', labels)).toBe(1);
    expect(sampleValue(await scrape(clientRegistry), 'grpc_client_handled_total', labels)).toBe(1);
  });

  it('passes promtool check metrics', async () => {
    for (const registry of [serverRegistry, clientRegistry]) {
      await expect(promtoolCheckMetrics(await registry.metrics())).resolves.toEqual({
        exitCode: 0,
        output: '',
      });
    }
  });
});
