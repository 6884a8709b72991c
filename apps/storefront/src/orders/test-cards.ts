import { TEST_CARD_TOKENS } from '@mercato/contracts/demo';

/** A card of the simulated payment provider's test mode, and what it does. */
export interface TestCard {
  token: string;
  label: string;
  outcome: string;
}

/** The simulated payment provider's test cards a shopper can choose (the timeout card is for tests). */
export const TEST_CARDS: readonly TestCard[] = [
  {
    token: TEST_CARD_TOKENS.success,
    label: 'Test card: payment succeeds',
    outcome: 'The order is paid.',
  },
  {
    token: TEST_CARD_TOKENS.declined,
    label: 'Test card: declined',
    outcome: 'The card issuer declines.',
  },
  {
    token: TEST_CARD_TOKENS.insufficientFunds,
    label: 'Test card: insufficient funds',
    outcome: 'The charge fails for lack of funds.',
  },
];
