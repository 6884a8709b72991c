import {
  bool,
  duration,
  integer,
  loadConfig,
  z,
  type Config,
  type LoadConfigOptions,
} from '@mercato/config';
import { serviceConfigSchema } from '@mercato/service-kit';

/** Every variable the product service reads. */
export const productConfigSchema = serviceConfigSchema('product', {
  RESERVATION_TTL: duration()
    .default(15 * 60_000)
    .describe('How long reserved stock waits for payment before it returns to the shelf'),
  RESERVATION_SWEEP_INTERVAL: duration()
    .default(5_000)
    .describe('How often expired reservations are released'),
  SEED_CATALOG: bool().default(true).describe('Load the demo catalog at start-up (idempotent)'),
  SEED_STOCK: integer({ min: 1, max: 1_000_000_000 })
    .optional()
    .describe(
      "Units on hand every seeded product starts with, instead of the demo catalog's own figure (for load tests)",
    ),
  CATALOG_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('EUR')
    .describe('Currency of the seeded catalog'),
});

/** The product service's validated configuration. */
export type ProductConfig = Config<typeof productConfigSchema>;

/** Loads the configuration; an invalid environment throws one error naming every bad variable. */
export const loadProductConfig = (options: LoadConfigOptions = {}): ProductConfig =>
  loadConfig(productConfigSchema, { name: 'product-service', ...options });
