/** Generated types and the typed gRPC client of mercato.order.v1. */
export * from './gen/mercato/order/v1/order.js';
