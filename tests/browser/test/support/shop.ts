import { loadGatewayConfig, startGateway, type RunningGateway } from '@mercato/gateway-service';
import { startShop, startShopProduct, type Shop } from '@mercato/payment-service/testing';

/** The whole shop behind a real gateway that serves the built storefront. */
export interface ShopUnderTest {
  shop: Shop;
  gateway: RunningGateway;
  /** The storefront's origin, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Stops the product service, as an outage would. */
  stopProductService(): Promise<void>;
  /** Starts the product service again on its port, with the same database. */
  restartProductService(): Promise<void>;
  stop(): Promise<void>;
}

/** Product, order and payment services (real broker and PostgreSQL) and the gateway, on loopback. */
export async function startShopUnderTest(): Promise<ShopUnderTest> {
  const shop = await startShop(undefined, { seedCatalog: true });
  const gateway = await startGateway(
    loadGatewayConfig({
      env: {
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
        SHUTDOWN_DRAIN_DELAY: '0',
        SHUTDOWN_TIMEOUT: '5s',
        JWT_SECRET: 'browser-suite-signing-key-0123456789abcdef',
        PRODUCT_SERVICE_ADDRESSES: `127.0.0.1:${shop.env.ports.product}`,
        ORDER_SERVICE_ADDRESSES: `127.0.0.1:${shop.env.ports.order}`,
        PAYMENT_SERVICE_ADDRESSES: `127.0.0.1:${shop.env.ports.payment}`,
        // An outage test restarts the product service; the storefront's "Try again" should not
        // wait the default 10 s for the circuit to close.
        BREAKER_COOL_DOWN: '500ms',
      },
    }),
  );
  let restarted: Awaited<ReturnType<typeof startShopProduct>> | undefined;
  return {
    shop,
    gateway,
    url: gateway.url,
    stopProductService: () => shop.product.close(),
    async restartProductService() {
      restarted = await startShopProduct(shop.env, { seedCatalog: true });
    },
    async stop() {
      await gateway.stop();
      await restarted?.close();
      await shop.stop();
    },
  };
}
