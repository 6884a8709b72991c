import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  status,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { grpcServerTracingInterceptor } from '@mercato/tracing';
import { startTracing, type Tracing } from '@mercato/tracing/sdk';
import { startOtlpReceiver, type OtlpReceiver } from '@mercato/tracing/testing';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const bytes = {
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
  requestStream: false,
  responseStream: false,
} as const;
// Each method answers with the traceparent its handler saw, or fails with the code it is named for.
const definition: ServiceDefinition = {
  say: { path: '/test.v1.Echo/Say', ...bytes },
  failInternal: { path: '/test.v1.Echo/FailInternal', ...bytes },
  failInvalid: { path: '/test.v1.Echo/FailInvalid', ...bytes },
  check: { path: '/grpc.health.v1.Health/Check', ...bytes },
};
const seen = (metadata: Metadata) => Buffer.from(String(metadata.get('traceparent')[0] ?? ''));
const implementation: UntypedServiceImplementation = {
  say: (call: { metadata: Metadata }, done: (error: null, value: Buffer) => void) =>
    done(null, seen(call.metadata)),
  failInternal: (_call: unknown, done: (error: Partial<ServiceError>) => void) =>
    done({ code: status.INTERNAL, details: 'the database went away' }),
  failInvalid: (_call: unknown, done: (error: Partial<ServiceError>) => void) =>
    done({ code: status.INVALID_ARGUMENT, details: 'id: required' }),
  check: (call: { metadata: Metadata }, done: (error: null, value: Buffer) => void) =>
    done(null, seen(call.metadata)),
};

describe('grpcServerTracingInterceptor', () => {
  let server: Server;
  let client: InstanceType<ReturnType<typeof makeGenericClientConstructor>>;
  let receiver: OtlpReceiver;
  let tracing: Tracing;

  const call = (method: string, traceparent = CALLER) =>
    new Promise<{ error: ServiceError | null; value: string | undefined }>((resolve) => {
      const metadata = new Metadata();
      metadata.set('traceparent', traceparent);
      const unary = client[method] as (
        request: Buffer,
        metadata: Metadata,
        done: (error: ServiceError | null, value?: Buffer) => void,
      ) => void;
      unary.call(client, Buffer.from('hi'), metadata, (error, value) =>
        resolve({ error, value: value?.toString() }),
      );
    });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing({ serviceName: 'echo', endpoint: receiver.url, sampleRatio: 1 });
    server = new Server({ interceptors: [grpcServerTracingInterceptor()] });
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const Client = makeGenericClientConstructor(definition, 'Echo');
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterEach(() => receiver.clear());
  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await tracing.shutdown();
    await receiver.close();
  });

  it("records a SERVER span under the caller's and hands the handler its own context", async () => {
    const { error, value } = await call('say');
    expect(error).toBeNull();
    await tracing.flush();
    const [span] = receiver.spans;
    expect(span).toMatchObject({
      kind: 'server',
      name: 'test.v1.Echo/Say',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      status: { code: 'unset' },
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'test.v1.Echo',
        'rpc.method': 'Say',
        'rpc.grpc.status_code': 0,
      },
    });
    expect(value).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span!.spanId}-01`);
  });

  it("fails the span for the server's errors, not for the caller's", async () => {
    expect((await call('failInternal')).error?.code).toBe(status.INTERNAL);
    expect((await call('failInvalid')).error?.code).toBe(status.INVALID_ARGUMENT);
    await tracing.flush();
    const byName = new Map(receiver.spans.map((span) => [span.name, span]));
    expect(byName.get('test.v1.Echo/FailInternal')).toMatchObject({
      status: { code: 'error', message: 'INTERNAL: the database went away' },
      attributes: { 'rpc.grpc.status_code': status.INTERNAL },
    });
    expect(byName.get('test.v1.Echo/FailInvalid')).toMatchObject({
      status: { code: 'unset' },
      attributes: { 'rpc.grpc.status_code': status.INVALID_ARGUMENT },
    });
  });

  it('leaves health checks and unsampled calls alone: no span, the context passed on as it came', async () => {
    expect((await call('check')).value).toBe(CALLER);
    const unsampled = CALLER.replace(/-01$/, '-00');
    expect((await call('say', unsampled)).value).toBe(unsampled);
    await tracing.flush();
    expect(receiver.spans).toEqual([]);
  });
});
