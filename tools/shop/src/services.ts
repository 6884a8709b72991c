import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The services of the shop, in start-up order (the gateway last: it fronts the others). */
export const SHOP_SERVICES = ['product', 'order', 'payment', 'gateway'] as const;

/** One of the shop's services. */
export type ShopService = (typeof SHOP_SERVICES)[number];

/** A service that keeps data of its own (PGlite or PostgreSQL). */
export type DatabaseService = Exclude<ShopService, 'gateway'>;

/** The services with a database. */
export const DATABASE_SERVICES: readonly DatabaseService[] = ['product', 'order', 'payment'];

/** Whether a service serves gRPC (every one but the gateway). */
export const servesGrpc = (service: ShopService): service is DatabaseService =>
  service !== 'gateway';

// src/ (tests, via the @mercato/source condition) and dist/ (the CLI) sit at the same depth, so one
// relative path reaches the services from both.
const REPOSITORY_ROOT = new URL('../../../', import.meta.url);

/** The repository the launcher belongs to. */
export const repositoryRoot = (): string => fileURLToPath(REPOSITORY_ROOT);

/** The built entry point a service runs with in production (`node dist/main.js`). */
export const serviceEntryPoint = (service: ShopService): string =>
  fileURLToPath(new URL(`services/${service}/dist/main.js`, REPOSITORY_ROOT));

const NODE_OPTIONS_LINE = /^ENV NODE_OPTIONS="([^"]*)"$/m;

/**
 * The Node.js flags a service's image runs it with: the `ENV NODE_OPTIONS` line of its Dockerfile,
 * the one place its memory budget is written (docs/decisions.md D32), so local processes get the
 * heap sizes the pods get. Empty when the Dockerfile sets none.
 */
export function serviceNodeOptions(service: ShopService): string[] {
  const dockerfile = readFileSync(
    fileURLToPath(new URL(`services/${service}/Dockerfile`, REPOSITORY_ROOT)),
    'utf8',
  );
  return NODE_OPTIONS_LINE.exec(dockerfile)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
}
