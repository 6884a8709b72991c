import {
  newShopEnvironment,
  startShop as startSharedShop,
  startShopProduct as startSharedShopProduct,
  type Shop,
  type ShopEnvironment,
} from '@mercato/payment-service/testing';
import type { RunningGrpcService } from '@mercato/service-kit';
import { loadGatewayConfig, type GatewayConfig } from '../../src/server.js';

export {
  eventually,
  newShopEnvironment,
  type Shop,
  type ShopEnvironment,
} from '@mercato/payment-service/testing';

/** The signing key of every test gateway (tests mint their own malformed tokens with it). */
export const TEST_JWT_SECRET = 'test-secret-of-the-gateway-suite-0123456789';

/** Starts the product service of a shop with the demo catalog, e.g. again after stopping it. */
export const startShopProduct = (env: ShopEnvironment): Promise<RunningGrpcService> =>
  startSharedShopProduct(env, { seedCatalog: true });

/** The product, order and payment services behind the gateway, with the demo catalog. */
export const startShop = async (): Promise<Shop> =>
  startSharedShop(await newShopEnvironment(), { seedCatalog: true });

/** A gateway configuration pointing at a shop's ports; `extra` overrides variables. */
export function gatewayConfig(
  ports: { product: number; order: number; payment: number },
  extra: Record<string, string> = {},
): GatewayConfig {
  return loadGatewayConfig({
    env: {
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      SHUTDOWN_DRAIN_DELAY: '0',
      SHUTDOWN_TIMEOUT: '5s',
      JWT_SECRET: TEST_JWT_SECRET,
      PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${ports.product}`,
      ORDER_SERVICE_ADDRESSES: `127.0.0.1:${ports.order}`,
      PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${ports.payment}`,
      ...extra,
    },
  });
}
