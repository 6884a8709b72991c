import { connect } from 'node:net';
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  status,
  type Client,
  type ClientReadableStream,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import {
  ProductServiceService,
  type GetProductRequest,
  type GetProductResponse,
} from '@mercato/contracts/product';

type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
type HealthStub = Client & {
  Check(
    request: { service: string },
    callback: (error: ServiceError | null, response: { status: HealthStatus }) => void,
  ): void;
  Watch(request: { service: string }): ClientReadableStream<{ status: HealthStatus }>;
};

const HealthClient = makeGenericClientConstructor(healthServiceDefinition, 'Health');

/** A grpc.health.v1 client, as Kubernetes' gRPC probe or a load balancer uses the protocol. */
export class HealthProbe {
  readonly #stub: HealthStub;

  constructor(address: string) {
    this.#stub = new HealthClient(address, credentials.createInsecure()) as unknown as HealthStub;
  }

  /** Health/Check for one service name (`''` is the server as a whole). */
  check(service: string): Promise<HealthStatus> {
    return new Promise((resolve, reject) =>
      this.#stub.Check({ service }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  }

  /** Health/Watch: resolves `firstStatus` with the first answer and `statuses` once the server ends the stream. */
  watch(service: string): {
    firstStatus: Promise<HealthStatus>;
    statuses: Promise<HealthStatus[]>;
  } {
    const stream = this.#stub.Watch({ service });
    const received: HealthStatus[] = [];
    let first: (value: HealthStatus) => void = () => undefined;
    const firstStatus = new Promise<HealthStatus>((resolve) => (first = resolve));
    const statuses = new Promise<HealthStatus[]>((resolve, reject) => {
      stream.on('data', ({ status: value }: { status: HealthStatus }) => {
        received.push(value);
        first(value);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(received));
    });
    return { firstStatus, statuses };
  }

  close(): void {
    this.#stub.close();
  }
}

/** True when a TCP connection to host:port is refused (nothing listens there any more). */
export function connectionRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** The port of a `host:port` or `http://host:port` address. */
export const portOf = (address: string): number =>
  Number(address.slice(address.lastIndexOf(':') + 1));

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string>,
): number {
  const matching = exposition.split('\n').filter((line) => {
    if (!line.startsWith(`${name}{`)) return false;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    return Object.entries(labels).every(([key, value]) =>
      labelText.split(',').includes(`${key}="${value}"`),
    );
  });
  if (matching.length > 1)
    throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching.length === 0 ? 0 : Number(matching[0]!.slice(matching[0]!.lastIndexOf(' ') + 1));
}

export { promtoolCheckMetrics } from '@mercato/metrics/testing';

/** Products the downstream catalog knows; other ids answer with the status named in the id. */
const DOWNSTREAM_FAILURES: Record<string, { code: status; details: string }> = {
  remote_unavailable: { code: status.UNAVAILABLE, details: 'catalog replica overloaded' },
  remote_missing: { code: status.NOT_FOUND, details: 'no such remote product' },
};

/**
 * A plain grpc-js server playing the downstream ProductService a handler calls. It records the
 * metadata of every call, so tests see what the calling service forwarded.
 */
export async function startDownstreamCatalog(): Promise<{
  address: string;
  received: Metadata[];
  stop(): Promise<void>;
}> {
  const received: Metadata[] = [];
  const server = new Server();
  server.addService(ProductServiceService, {
    getProduct: (
      call: ServerUnaryCall<GetProductRequest, GetProductResponse>,
      callback: sendUnaryData<GetProductResponse>,
    ) => {
      received.push(call.metadata);
      const failure = DOWNSTREAM_FAILURES[call.request.id];
      if (failure) return callback(failure);
      callback(null, {
        product: {
          id: call.request.id,
          sku: 'REMOTE-1',
          name: 'Remote Product',
          description: '',
          category: 'remote',
          price: { amountMinor: 1200, currency: 'EUR' },
          imageUrl: '',
          stockAvailable: 3,
          version: 1,
        },
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    received,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
