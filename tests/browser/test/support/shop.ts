import { startGateway, type RunningGateway } from '@mercato/gateway-service';
import { testGatewayConfig } from '@mercato/gateway-service/testing';
import { startShop, startShopProduct, type Shop } from '@mercato/payment-service/testing';

/** The trace UI the gateway links orders to (nothing listens there: the tests read the links). */
export const TRACE_UI_URL = 'http://traces.mercato.test:16686';

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
    testGatewayConfig(
      {
        product: shop.product.grpcAddress,
        order: shop.order.grpcAddress,
        payment: shop.payment.grpcAddress,
      },
      // An outage test restarts the product service; the storefront's "Try again" should not
      // wait the default 10 s for the circuit to close.
      { BREAKER_COOL_DOWN: '500ms', TRACE_UI_URL: TRACE_UI_URL },
    ),
  ).catch(async (error: unknown) => {
    // Nothing of a shop whose gateway did not start may outlive the failure.
    await shop.stop();
    throw error;
  });
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
