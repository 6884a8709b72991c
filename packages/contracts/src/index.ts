export * from './events.js';
export * from './grpc.js';
export * from './topics.js';
export * from './asyncapi.js';
export * from './validators.js';
export * from './checkout-stages.js';
