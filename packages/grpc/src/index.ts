export * from './client.js';
export * from './errors.js';
export * from './validation.js';
export * from './pagination.js';
export * from './no-delay.js';
