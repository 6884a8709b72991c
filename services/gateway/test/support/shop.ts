import {
  newShopEnvironment,
  startShop as startSharedShop,
  startShopProduct as startSharedShopProduct,
  type Shop,
  type ShopEnvironment,
} from '@mercato/payment-service/testing';
import type { RunningGrpcService } from '@mercato/service-kit';
import type { GatewayConfig } from '../../src/server.js';
import { testGatewayConfig } from '../../src/testing.js';

export {
  eventually,
  newShopEnvironment,
  type Shop,
  type ShopEnvironment,
} from '@mercato/payment-service/testing';

export { TEST_JWT_SECRET } from '../../src/testing.js';

/** Starts the product service of a shop with the demo catalog, e.g. again after stopping it. */
export const startShopProduct = (env: ShopEnvironment): Promise<RunningGrpcService> =>
  startSharedShopProduct(env, { seedCatalog: true });

/** The product, order and payment services behind the gateway, with the demo catalog. */
export const startShop = async (): Promise<Shop> =>
  startSharedShop(await newShopEnvironment(), { seedCatalog: true });

/** A gateway configuration pointing at a shop's ports; `extra` overrides variables. */
export const gatewayConfig = (
  ports: { product: number; order: number; payment: number },
  extra: Record<string, string> = {},
): GatewayConfig =>
  testGatewayConfig(
    {
      product: `127.0.0.1:${ports.product}`,
      order: `127.0.0.1:${ports.order}`,
      payment: `127.0.0.1:${ports.payment}`,
    },
    extra,
  );
