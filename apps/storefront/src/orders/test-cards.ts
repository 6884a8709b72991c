/** A card of the simulated payment provider's test mode, and what it does. */
export interface TestCard {
  token: string;
  label: string;
  outcome: string;
}

/** The payment service's test tokens (services/payment: TEST_TOKENS). */
export const TEST_CARDS: readonly TestCard[] = [
  { token: 'tok_success', label: 'Test card: payment succeeds', outcome: 'The order is paid.' },
  { token: 'tok_declined', label: 'Test card: declined', outcome: 'The card issuer declines.' },
  {
    token: 'tok_insufficient_funds',
    label: 'Test card: insufficient funds',
    outcome: 'The charge fails for lack of funds.',
  },
];
