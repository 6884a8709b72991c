import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { GRPC_SERVICES } from '@mercato/contracts';
import {
  ProductServiceClient,
  ProductServiceService,
  type GetProductRequest,
  type GetProductResponse,
  type ProductServiceServer,
} from '@mercato/contracts/product';
import { createClient, fieldViolationsOf, invalidArgument } from '../src/index.js';

type GetProduct = (
  call: ServerUnaryCall<GetProductRequest, GetProductResponse>,
  callback: sendUnaryData<GetProductResponse>,
) => void;

const servers: Server[] = [];
const clients: { close(): void }[] = [];

async function startServer(getProduct: GetProduct): Promise<string> {
  const server = new Server();
  const notUsed = () => {
    throw new Error('not used in this test');
  };
  const implementation: ProductServiceServer = {
    getProduct: getProduct,
    listProducts: notUsed,
    listCategories: notUsed,
    getProducts: notUsed,
    reserveStock: notUsed,
    releaseStock: notUsed,
    commitStock: notUsed,
    setProductPrice: notUsed,
  };
  server.addService(ProductServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  servers.push(server);
  return `127.0.0.1:${port}`;
}

const product = (id: string, name: string): GetProductResponse => ({
  product: {
    id,
    sku: 'SKU',
    name,
    description: '',
    category: 'c',
    price: { amountMinor: 100, currency: 'EUR' },
    imageUrl: '',
    stockAvailable: 1,
    version: 1,
  },
});

function client(addresses: string[], extra: Partial<Parameters<typeof createClient>[1]> = {}) {
  const created = createClient(ProductServiceClient, {
    addresses,
    defaultDeadlineMs: 5_000,
    ...extra,
  });
  clients.push(created);
  return created;
}

afterEach(() => {
  clients.splice(0).forEach((created) => created.close());
  servers.splice(0).forEach((server) => server.forceShutdown());
});

describe('createClient', () => {
  it('calls a unary method and resolves with the response', async () => {
    const address = await startServer((call, callback) =>
      callback(null, product(call.request.id, 'Lamp')),
    );
    const response = await client([address]).getProduct({ id: 'p1' });
    expect(response.product?.name).toBe('Lamp');
    expect(response.product?.id).toBe('p1');
  });

  it('balances calls round-robin over several backends', async () => {
    const first = await startServer((_call, callback) => callback(null, product('x', 'first')));
    const second = await startServer((_call, callback) => callback(null, product('x', 'second')));
    const balanced = client([first, second]);
    const names = new Set<string>();
    for (let index = 0; index < 6; index += 1) {
      names.add((await balanced.getProduct({ id: 'x' })).product!.name);
    }
    expect([...names].sort()).toEqual(['first', 'second']);
  });

  it('fails a call that the server never answers with DEADLINE_EXCEEDED', async () => {
    const address = await startServer(() => undefined);
    await expect(
      client([address], { defaultDeadlineMs: 300 }).getProduct({ id: 'p1' }),
    ).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
  });

  it('fails fast with UNAVAILABLE when no server listens', async () => {
    const address = await startServer((_call, callback) => callback(null, product('x', 'x')));
    servers.splice(0).forEach((server) => server.forceShutdown());
    await expect(client([address]).getProduct({ id: 'p1' })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });

  it('delivers the status code, message and field violations of a GrpcError', async () => {
    const address = await startServer((_call, callback) =>
      callback(invalidArgument([{ field: 'id', description: 'must not be empty' }]).toStatus()),
    );
    const error = await client([address])
      .getProduct({ id: '' })
      .then(
        () => {
          throw new Error('expected the call to fail');
        },
        (caught: ServiceError) => caught,
      );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('invalid argument: id: must not be empty');
    expect(fieldViolationsOf(error)).toEqual([{ field: 'id', description: 'must not be empty' }]);
  });

  it('retries an idempotent read that failed with UNAVAILABLE', async () => {
    let attempts = 0;
    const address = await startServer((_call, callback) => {
      attempts += 1;
      if (attempts === 1) callback({ code: status.UNAVAILABLE, details: 'warming up' });
      else callback(null, product('p1', 'Lamp'));
    });
    const retrying = client([address], {
      retry: { service: GRPC_SERVICES.product, methods: ['GetProduct'] },
    });
    const response = await retrying.getProduct({ id: 'p1' });
    expect(response.product?.name).toBe('Lamp');
    expect(attempts).toBe(2);
  });
});
