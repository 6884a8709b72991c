// Plain data with no imports, so the storefront's browser bundle can use it too.

/**
 * The customers one can sign in as (Mercato has no sign-up): the gateway issues demo tokens for
 * exactly these ids, and the storefront offers them by name.
 */
export const DEMO_CUSTOMERS = [
  { id: 'demo-alice', name: 'Alice' },
  { id: 'demo-bob', name: 'Bob' },
  { id: 'demo-carol', name: 'Carol' },
] as const;

/** The id of a demo customer. */
export type DemoCustomerId = (typeof DEMO_CUSTOMERS)[number]['id'];

/** The demo customers' ids, in the order of `DEMO_CUSTOMERS`. */
export const DEMO_CUSTOMER_IDS = DEMO_CUSTOMERS.map((customer) => customer.id) as [
  DemoCustomerId,
  ...DemoCustomerId[],
];

/**
 * Test card tokens of the simulated payment provider (like a real provider's test mode); any other
 * token is an invalid card.
 */
export const TEST_CARD_TOKENS = {
  success: 'tok_success',
  declined: 'tok_declined',
  insufficientFunds: 'tok_insufficient_funds',
  /** Times out on the first attempt for a given idempotency key, succeeds on the retry. */
  timeoutThenSuccess: 'tok_timeout',
} as const;
