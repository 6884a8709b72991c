export * from './bootstrap.js';
export * from './database.module.js';
export * from './free-port.js';
export * from './grpc-context.interceptor.js';
export * from './grpc-exception.filter.js';
export * from './nest-logger.js';
export * from './service-kit.constants.js';
export * from './settings.js';
