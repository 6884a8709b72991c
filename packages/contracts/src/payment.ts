/** Generated types and the typed gRPC client of mercato.payment.v1. */
export * from './gen/mercato/payment/v1/payment.js';
