// Benchmark target (b): the real gateway (Express app, middleware, validation, breaker) whose
// product backend calls the product service's catalog handlers in this process, not over gRPC.
import { createServer as createHttpServer } from 'node:http';
import {
  createBackends,
  createServer,
  loadGatewayConfig,
  type Backends,
} from '@mercato/gateway-service';
import { createLogger } from '@mercato/logger';
import { createMetrics } from '@mercato/metrics';
import {
  CatalogGrpcController,
  loadProductConfig,
  startProductService,
} from '@mercato/product-service';
import { InProcessProductBackend } from '../in-process-product.js';
import { serveTarget, targetSettings } from './target-process.js';

const settings = targetSettings<{
  gatewayEnv: Record<string, string>;
  productEnv: Record<string, string>;
}>();

const product = await startProductService(loadProductConfig({ env: settings.productEnv }));
const config = loadGatewayConfig({ env: settings.gatewayEnv });
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const metrics = createMetrics({ service: 'gateway' });
const overGrpc = createBackends(config, metrics, logger);
// The order and payment backends stay gRPC clients (channels connect lazily; the product route
// never calls them). The unused gRPC product client is closed with the others.
const backends: Backends = {
  product: new InProcessProductBackend(product.app.get(CatalogGrpcController), config),
  order: overGrpc.order,
  payment: overGrpc.payment,
  close: () => overGrpc.close(),
};
const gateway = createServer({ config, logger, metrics, backends });
// The catalog change feed, when gatewayEnv names KAFKA_BROKERS (the cache serves once it is live).
gateway.start();

await serveTarget(createHttpServer(gateway.handler), async () => {
  await gateway.close();
  await product.close();
});
