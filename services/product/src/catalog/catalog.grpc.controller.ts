import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { z } from 'zod';
import { plainText } from '@mercato/contracts';
import { decodePageToken, encodePageToken, notFound, parseRequest } from '@mercato/grpc';
import type {
  GetProductResponse,
  GetProductsResponse,
  ListCategoriesResponse,
  ListProductsResponse,
  Product,
  SetProductPriceResponse,
} from '@mercato/contracts/product';
import { CatalogRepository, type ProductRecord } from './catalog.repository.js';

const SERVICE = 'ProductService';
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
/**
 * The highest price SetProductPrice accepts, in minor units (1 000 000.00 in a two-decimal
 * currency). Far above any shop price, and low enough that an order total (at most 100 lines of
 * 1 000 units) stays an exact integer in a JavaScript number.
 */
export const MAX_PRICE_MINOR = 100_000_000;

const productId = plainText(128).min(1, 'must not be empty');

const listProductsRequest = z.object({
  pageSize: z.number().int().min(0).max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`),
  pageToken: plainText(200),
  category: plainText(100),
  query: plainText(200),
});
const getProductRequest = z.object({ id: productId });
const getProductsRequest = z.object({
  ids: z.array(productId).min(1, 'at least one id').max(MAX_PAGE_SIZE),
});
const setProductPriceRequest = z.object({
  productId,
  price: z.object(
    {
      amountMinor: z
        .number()
        .int('must be a whole number of minor units')
        .min(0, 'must not be negative')
        .max(MAX_PRICE_MINOR, `must be at most ${MAX_PRICE_MINOR}`),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
    },
    { error: 'is required' },
  ),
});

/** The catalog record as the mercato.product.v1.Product message. */
export const toProductMessage = (record: ProductRecord): Product => ({
  id: record.id,
  sku: record.sku,
  name: record.name,
  description: record.description,
  category: record.category,
  price: { amountMinor: record.priceMinor, currency: record.currency },
  imageUrl: record.imageUrl,
  stockAvailable: record.stockAvailable,
  version: record.version,
});

/**
 * The catalog side of mercato.product.v1.ProductService: listing, search and lookup, and the
 * operator's price changes (SetProductPrice; the gateway does not expose it).
 */
@Controller()
export class CatalogGrpcController {
  constructor(private readonly catalog: CatalogRepository) {}

  @GrpcMethod(SERVICE, 'ListProducts')
  async listProducts(request: unknown): Promise<ListProductsResponse> {
    const { pageSize, pageToken, category, query } = parseRequest(listProductsRequest, request);
    const limit = pageSize || DEFAULT_PAGE_SIZE;
    const offset = decodePageToken(pageToken);
    const page = await this.catalog.list({ category, search: query.trim(), limit, offset });
    const next = offset + page.products.length;
    return {
      products: page.products.map(toProductMessage),
      nextPageToken: next < page.total ? encodePageToken(next) : '',
      totalSize: page.total,
    };
  }

  @GrpcMethod(SERVICE, 'ListCategories')
  async listCategories(): Promise<ListCategoriesResponse> {
    return { categories: await this.catalog.categories() };
  }

  @GrpcMethod(SERVICE, 'GetProduct')
  async getProduct(request: unknown): Promise<GetProductResponse> {
    const { id } = parseRequest(getProductRequest, request);
    const [product] = await this.catalog.findByIds([id]);
    if (!product) throw notFound(`product ${id} does not exist`);
    return { product: toProductMessage(product) };
  }

  @GrpcMethod(SERVICE, 'GetProducts')
  async getProducts(request: unknown): Promise<GetProductsResponse> {
    const { ids } = parseRequest(getProductsRequest, request);
    const found = new Map(
      (await this.catalog.findByIds(ids)).map((product) => [product.id, product]),
    );
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw notFound(`unknown product ids: ${[...new Set(missing)].join(', ')}`);
    return { products: ids.map((id) => toProductMessage(found.get(id)!)) };
  }

  @GrpcMethod(SERVICE, 'SetProductPrice')
  async setProductPrice(request: unknown): Promise<SetProductPriceResponse> {
    const { productId: id, price } = parseRequest(setProductPriceRequest, request);
    return { product: toProductMessage(await this.catalog.setPrice(id, price)) };
  }
}
