/** Generated types and the typed gRPC client of mercato.product.v1. */
export * from './gen/mercato/product/v1/product.js';
