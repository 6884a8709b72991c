/**
 * A gRPC client that knows nothing about Mercato's APIs in advance: it asks a server what it
 * serves through server reflection (grpc.reflection.v1, or v1alpha for older servers), rebuilds
 * the message types from the file descriptors the server sends, and calls methods with them.
 * It deliberately imports no generated code and no .proto of Mercato's, so a test built on it
 * proves what any outside tool (grpcurl, Postman, a client in another language) would see.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  Metadata,
  status,
  type Client,
  type ClientDuplexStream,
  type ServiceClientConstructor,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

/** The reflection protocol versions, newest first; a server that lacks v1 is asked through v1alpha. */
const REFLECTION_VERSIONS = ['v1', 'v1alpha'] as const;
type ReflectionVersion = (typeof REFLECTION_VERSIONS)[number];

// The reflection .proto files ship inside @grpc/reflection, the package servers use to offer it.
const REFLECTION_PROTO_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
  'build/proto',
);

/** One ServerReflectionRequest; exactly one of the message_request fields is set. */
type ReflectionRequest = { listServices: string } | { fileContainingSymbol: string };

/** The parts of a ServerReflectionResponse this client reads (proto-loader's camelCase shape). */
interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

type ReflectionStream = ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
type ReflectionStub = Client & { ServerReflectionInfo(): ReflectionStream };

/** `Root.fromDescriptor` is added to protobufjs by its descriptor extension, which its types omit. */
const rootFromDescriptor = (
  protobuf.Root as unknown as { fromDescriptor(set: protobuf.Message): protobuf.Root }
).fromDescriptor;

function reflectionStubConstructor(version: ReflectionVersion): ServiceClientConstructor {
  const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [REFLECTION_PROTO_DIR],
    longs: String,
    enums: String,
    oneofs: true,
  });
  const grpcReflection = loadPackageDefinition(definition).grpc as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  return grpcReflection.reflection![version]!.ServerReflection as ServiceClientConstructor;
}

/** A unary method of a service discovered through reflection, callable with plain objects. */
export type DynamicUnaryMethod = (
  request: Record<string, unknown>,
  options?: { metadata?: Metadata; deadlineMs?: number },
) => Promise<Record<string, unknown>>;

/** A service rebuilt from reflection: its protobufjs definition and a client for its unary methods. */
export interface DynamicService {
  /** The service as protobufjs rebuilt it from the server's descriptors. */
  readonly definition: protobuf.Service;
  /** Calls a unary method by its proto name, e.g. `GetProduct`; the response keeps proto field names. */
  readonly call: (
    method: string,
    ...args: Parameters<DynamicUnaryMethod>
  ) => ReturnType<DynamicUnaryMethod>;
  close(): void;
}

/** The error_response a reflection server answered a request with (e.g. an unknown symbol). */
export class ReflectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`reflection error ${code}: ${message}`);
    this.name = 'ReflectionError';
  }
}

/** Talks to one server's reflection service. */
export class ReflectionClient {
  #version: ReflectionVersion = REFLECTION_VERSIONS[0];
  readonly #stubs = new Map<ReflectionVersion, ReflectionStub>();

  constructor(private readonly address: string) {}

  /** The reflection version the server answered with (known after the first request). */
  get version(): ReflectionVersion {
    return this.#version;
  }

  /** Fully-qualified names of every service the server says it offers. */
  async listServices(): Promise<string[]> {
    const response = await this.#ask({ listServices: '*' });
    return (response.listServicesResponse?.service ?? []).map((service) => service.name);
  }

  /**
   * The protobufjs Root of the file that declares `symbol` and every file it depends on, as the
   * server described them (serialized FileDescriptorProtos).
   */
  async rootContaining(symbol: string): Promise<protobuf.Root> {
    const response = await this.#ask({ fileContainingSymbol: symbol });
    const files = (response.fileDescriptorResponse?.fileDescriptorProto ?? []).map((bytes) =>
      descriptor.FileDescriptorProto.decode(bytes),
    );
    if (files.length === 0) throw new Error(`the server sent no file descriptor for ${symbol}`);
    return rootFromDescriptor(descriptor.FileDescriptorSet.create({ file: files }));
  }

  /** Discovers a service by name and returns a client for it built from the discovered types alone. */
  async service(name: string): Promise<DynamicService> {
    const definition = (await this.rootContaining(name)).lookupService(name);
    const Constructor = makeGenericClientConstructor(grpcDefinitionOf(definition), definition.name);
    const client = new Constructor(this.address, credentials.createInsecure()) as Client &
      Record<string, (...args: unknown[]) => unknown>;
    return {
      definition,
      call: (method, request, options = {}) => {
        const invoke = client[method];
        if (!definition.methods[method] || typeof invoke !== 'function') {
          return Promise.reject(new Error(`${name} has no method ${method}`));
        }
        return new Promise((resolve, reject) => {
          invoke.call(
            client,
            request,
            options.metadata ?? new Metadata(),
            { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
            (error: ServiceError | null, response: Record<string, unknown>) =>
              error ? reject(error) : resolve(response),
          );
        });
      },
      close: () => client.close(),
    };
  }

  /** Closes the reflection channels. */
  close(): void {
    for (const stub of this.#stubs.values()) stub.close();
    this.#stubs.clear();
  }

  async #ask(request: ReflectionRequest): Promise<ReflectionResponse> {
    try {
      return await this.#askWith(this.#version, request);
    } catch (error) {
      // Only the call itself being unimplemented means the server lacks this protocol version.
      const lacksVersion =
        !(error instanceof ReflectionError) &&
        (error as Partial<ServiceError>).code === status.UNIMPLEMENTED;
      const next = REFLECTION_VERSIONS[REFLECTION_VERSIONS.indexOf(this.#version) + 1];
      if (!lacksVersion || !next) throw error;
      this.#version = next;
      return this.#ask(request);
    }
  }

  /** One request on its own ServerReflectionInfo stream: write it, read the answer, half-close. */
  #askWith(version: ReflectionVersion, request: ReflectionRequest): Promise<ReflectionResponse> {
    let stub = this.#stubs.get(version);
    if (!stub) {
      const Constructor = reflectionStubConstructor(version);
      stub = new Constructor(
        this.address,
        credentials.createInsecure(),
      ) as unknown as ReflectionStub;
      this.#stubs.set(version, stub);
    }
    const stream = stub.ServerReflectionInfo();
    return new Promise((resolve, reject) => {
      let answered = false;
      stream.on('data', (response: ReflectionResponse) => {
        answered = true;
        stream.end();
        if (response.errorResponse) {
          const { errorCode, errorMessage } = response.errorResponse;
          reject(new ReflectionError(errorCode, errorMessage));
        } else {
          resolve(response);
        }
      });
      stream.on('error', (error: ServiceError) => {
        if (!answered) reject(error);
      });
      stream.on('end', () => {
        if (!answered) reject(new Error('the reflection stream ended without an answer'));
      });
      stream.write(request);
    });
  }
}

/** A grpc-js service definition whose (de)serializers are the protobufjs types reflection rebuilt. */
function grpcDefinitionOf(service: protobuf.Service): ServiceDefinition {
  const fullName = service.fullName.replace(/^\./, '');
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream ?? false,
      responseStream: method.responseStream ?? false,
      requestSerialize: (value: Record<string, unknown>) =>
        Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => requestType.toObject(requestType.decode(bytes)),
      responseSerialize: (value: Record<string, unknown>) =>
        Buffer.from(responseType.encode(responseType.fromObject(value)).finish()),
      // int64 as a JS number (Mercato's amounts fit), enums by name, every field present.
      responseDeserialize: (bytes: Buffer) =>
        responseType.toObject(responseType.decode(bytes), {
          longs: Number,
          enums: String,
          defaults: true,
        }),
    };
  }
  return definition;
}
