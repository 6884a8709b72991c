import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status, type ServiceError } from '@grpc/grpc-js';
import { productIdForSku, SEED_CATALOG } from '../src/catalog/seed-catalog.js';
import { startProductUnderTest, type ProductUnderTest } from './support/product-under-test.js';
import { ReflectionClient, type DynamicService } from './support/reflection-client.js';

const PRODUCT_SERVICE = 'mercato.product.v1.ProductService';

// An outside client knows only the server's address: everything else it learns from reflection.
describe('product service seen through server reflection', () => {
  let product: ProductUnderTest;
  let reflection: ReflectionClient;
  let productService: DynamicService | undefined;

  beforeAll(async () => {
    product = await startProductUnderTest('pglite');
    reflection = new ReflectionClient(product.service.grpcAddress);
  });

  afterAll(async () => {
    productService?.close();
    reflection?.close();
    await product?.stop();
  });

  it('lists the product API and the health service over grpc.reflection.v1', async () => {
    const services = await reflection.listServices();
    expect(reflection.version).toBe('v1');
    expect(services).toEqual(expect.arrayContaining([PRODUCT_SERVICE, 'grpc.health.v1.Health']));
  });

  it('describes ProductService with the messages it imports from other files', async () => {
    const root = await reflection.rootContaining(PRODUCT_SERVICE);
    const methods = Object.keys(root.lookupService(PRODUCT_SERVICE).methods);
    expect(methods).toEqual(
      expect.arrayContaining(['GetProduct', 'ListProducts', 'ReserveStock', 'SetProductPrice']),
    );
    expect(
      root.lookupType('mercato.common.v1.Money').fieldsArray.map((field) => field.name),
    ).toEqual(['amount_minor', 'currency']);
  });

  it('answers NOT_FOUND for a symbol the server does not describe', async () => {
    await expect(reflection.rootContaining('mercato.nope.v1.NopeService')).rejects.toMatchObject({
      name: 'ReflectionError',
      code: status.NOT_FOUND,
    });
    expect(reflection.version).toBe('v1');
  });

  it('calls GetProduct with types rebuilt from the descriptors and decodes a seeded product', async () => {
    const seeded = SEED_CATALOG[0]!;
    productService = await reflection.service(PRODUCT_SERVICE);

    const response = await productService.call('GetProduct', { id: productIdForSku(seeded.sku) });

    expect(response.product).toMatchObject({
      id: productIdForSku(seeded.sku),
      sku: seeded.sku,
      name: seeded.name,
      price: { amount_minor: seeded.priceMinor, currency: 'EUR' },
      stock_available: seeded.stock,
    });
  });

  it('lets an operator set a price with nothing but the descriptors, as grpcurl does', async () => {
    const seeded = SEED_CATALOG[1]!;
    const id = productIdForSku(seeded.sku);
    productService ??= await reflection.service(PRODUCT_SERVICE);

    const response = await productService.call('SetProductPrice', {
      product_id: id,
      price: { amount_minor: seeded.priceMinor + 100, currency: 'EUR' },
    });

    expect(response.product).toMatchObject({
      id,
      price: { amount_minor: seeded.priceMinor + 100, currency: 'EUR' },
    });
    const read = await productService.call('GetProduct', { id });
    expect(read.product).toMatchObject({
      price: { amount_minor: seeded.priceMinor + 100, currency: 'EUR' },
    });
  });

  it('answers NOT_FOUND to the dynamic client like to any other', async () => {
    productService ??= await reflection.service(PRODUCT_SERVICE);
    const error = await productService.call('GetProduct', { id: 'prd_nope' }).then(
      () => undefined,
      (failure: ServiceError) => failure,
    );
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toContain('prd_nope');
  });

  it('describes grpc.health.v1.Health well enough to ask it whether ProductService serves', async () => {
    const health = await reflection.service('grpc.health.v1.Health');
    try {
      expect(await health.call('Check', { service: PRODUCT_SERVICE })).toEqual({
        status: 'SERVING',
      });
    } finally {
      health.close();
    }
  });
});
