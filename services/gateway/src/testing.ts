/**
 * Test support for suites that run a real gateway in front of a shop on loopback (the gateway's
 * own suites, the browser suite, the load generator's): one place for the settings of a quiet,
 * quick-to-stop test gateway.
 */
import { type GatewayConfig, loadGatewayConfig } from './gateway.config.js';

/** The signing key of test gateways (suites mint their own malformed tokens with it). */
export const TEST_JWT_SECRET = 'test-secret-of-a-mercato-test-gateway-0123456789';

/** `host:port` of each backend, e.g. a test shop's `grpcAddress`es. */
export interface BackendAddresses {
  product: string;
  order: string;
  payment: string;
}

/** A gateway configuration on a free loopback port in front of the given backends; `extra` overrides variables. */
export function testGatewayConfig(
  backends: BackendAddresses,
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
      PRODUCT_SERVICE_ADDRESSES: backends.product,
      ORDER_SERVICE_ADDRESSES: backends.order,
      PAYMENT_SERVICE_ADDRESSES: backends.payment,
      ...extra,
    },
  });
}
