import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  credentials,
  loadPackageDefinition as toGrpcObject,
  Server,
  ServerCredentials,
  status,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { GRPC_SERVICES, loadPackageDefinition } from '../src/grpc.js';
import {
  OrderServiceClient,
  OrderStatus,
  type CreateOrderRequest,
  type CreateOrderResponse,
} from '../src/order.js';

function serviceDefinition(root: GrpcObject, fullName: string) {
  const found = fullName
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root);
  return (found as ServiceClientConstructor).service;
}

// A server built the way NestJS builds it (proto-loader at run time) must agree with the
// generated ts-proto client on every shape: enums by name, int64 as number, nested messages.
describe('generated client against a proto-loader server', () => {
  const server = new Server();
  let client: OrderServiceClient;

  beforeAll(async () => {
    const root = toGrpcObject(loadPackageDefinition(['order']));
    server.addService(serviceDefinition(root, GRPC_SERVICES.order), {
      CreateOrder(
        call: { request: CreateOrderRequest },
        callback: (error: Partial<ServiceError> | null, response?: CreateOrderResponse) => void,
      ) {
        const { request } = call;
        if (request.lines.length === 0) {
          callback({ code: status.INVALID_ARGUMENT, details: 'lines: at least one line' });
          return;
        }
        const quantity = request.lines[0]!.quantity;
        callback(null, {
          order: {
            id: 'ord_42',
            customerId: request.customerId,
            status: OrderStatus.ORDER_STATUS_PENDING_PAYMENT,
            lines: [],
            total: { amountMinor: 9_007_199_254 * quantity, currency: 'EUR' },
            statusReason: '',
            traceId: '',
            createdAt: '2026-11-22T10:00:00Z',
            updatedAt: '2026-11-22T10:00:00Z',
          },
          products: [
            {
              id: 'p1',
              sku: 'SKU-1',
              name: 'Lamp',
              description: '',
              category: 'home',
              price: { amountMinor: 4500, currency: 'EUR' },
              imageUrl: '',
              stockAvailable: 7,
              version: 9_007_199_254 * quantity,
            },
          ],
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    client = new OrderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('round-trips enums, int64 money and nested messages', async () => {
    const response = await new Promise<CreateOrderResponse>((resolve, reject) =>
      client.createOrder(
        {
          customerId: 'cus_7',
          lines: [{ productId: 'p1', quantity: 3 }],
          idempotencyKey: 'k1',
          paymentToken: 'tok_success',
        },
        (error, value) => (error ? reject(error) : resolve(value)),
      ),
    );
    expect(response.order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING_PAYMENT);
    expect(response.order?.customerId).toBe('cus_7');
    expect(response.order?.total).toEqual({ amountMinor: 27_021_597_762, currency: 'EUR' });
    // A message of another package (product.v1) inside an order.v1 answer, its int64 as number.
    expect(response.products).toEqual([
      expect.objectContaining({ id: 'p1', stockAvailable: 7, version: 27_021_597_762 }),
    ]);
  });

  it('carries the server status code and message to the client', async () => {
    const error = await new Promise<ServiceError>((resolve) =>
      client.createOrder(
        { customerId: 'c', lines: [], idempotencyKey: 'k', paymentToken: 't' },
        (err) => resolve(err!),
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('lines: at least one line');
  });
});

describe('one source of truth for protos', () => {
  it('keeps every .proto file of the repository in this package', () => {
    const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
    const files = execFileSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', '*.proto'],
      { cwd: repoRoot, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.filter((file) => !file.startsWith('packages/contracts/proto/'))).toEqual([]);
  });
});
