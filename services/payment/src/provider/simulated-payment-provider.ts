import { randomUUID } from 'node:crypto';
import type { Money } from '@mercato/contracts';
import { TEST_CARD_TOKENS } from '@mercato/contracts/demo';
import type { Database } from '@mercato/db';
import {
  ProviderTimeoutError,
  type ChargeResult,
  type DeclineCode,
  type PaymentProvider,
} from './payment-provider.js';

const DECLINES: Record<string, { code: DeclineCode; message: string }> = {
  [TEST_CARD_TOKENS.declined]: { code: 'card_declined', message: 'The card was declined.' },
  [TEST_CARD_TOKENS.insufficientFunds]: {
    code: 'insufficient_funds',
    message: 'The card has insufficient funds.',
  },
};

/** What a charge with this token comes to: the test cards' outcomes, and invalid_token for others. */
function chargeOutcome(token: string): string {
  const decline = DECLINES[token];
  if (decline) return decline.code;
  return token === TEST_CARD_TOKENS.success || token === TEST_CARD_TOKENS.timeoutThenSuccess
    ? 'succeeded'
    : 'invalid_token';
}

interface LedgerRow {
  reference: string;
  outcome: string;
  attempts: number;
}

/**
 * A deterministic stand-in for a card provider, with a ledger in its own table. Charges and refunds
 * are idempotent per key, exactly as a real provider's API promises.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  constructor(private readonly db: Database) {}

  async charge(request: {
    idempotencyKey: string;
    token: string;
    amount: Money;
  }): Promise<ChargeResult> {
    const outcome = chargeOutcome(request.token);
    // Written first, read only when the key was charged before: a new charge is one statement.
    const first = request.token === TEST_CARD_TOKENS.timeoutThenSuccess ? 'timed_out' : outcome;
    const recorded = await this.record(request.idempotencyKey, 'charge', first, request.amount);
    if (recorded?.outcome === 'timed_out') throw new ProviderTimeoutError();
    if (recorded) return this.toResult(recorded, request.token);

    const previous = await this.existing(request.idempotencyKey);
    if (previous.outcome !== 'timed_out') return this.toResult(previous, request.token);
    return this.toResult(
      await this.resolveTimedOut(request.idempotencyKey, outcome),
      request.token,
    );
  }

  async refund(request: {
    idempotencyKey: string;
    chargeReference: string;
    amount: Money;
  }): Promise<{ reference: string }> {
    const recorded =
      (await this.record(request.idempotencyKey, 'refund', 'refunded', request.amount)) ??
      (await this.existing(request.idempotencyKey));
    return { reference: recorded.reference };
  }

  private toResult(row: LedgerRow, token: string): ChargeResult {
    if (row.outcome === 'succeeded') return { outcome: 'succeeded', reference: row.reference };
    const decline = DECLINES[token] ?? {
      code: 'invalid_token' as const,
      message: 'The payment token is not valid.',
    };
    return { outcome: 'declined', code: decline.code, message: decline.message };
  }

  /** The key's ledger row, which a conflicting `record` has just shown to exist. */
  private async existing(idempotencyKey: string): Promise<LedgerRow> {
    const { rows } = await this.db.query<LedgerRow>(
      'SELECT reference, outcome, attempts FROM simulated_provider_ledger WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    if (!rows[0]) throw new Error(`ledger row ${idempotencyKey} vanished after a conflict`);
    return rows[0];
  }

  /** A new ledger row; undefined when the key has one already (that row is left as it is). */
  private async record(
    idempotencyKey: string,
    kind: 'charge' | 'refund',
    outcome: string,
    amount: Money,
  ): Promise<LedgerRow | undefined> {
    const { rows } = await this.db.query<LedgerRow>(
      `INSERT INTO simulated_provider_ledger (idempotency_key, kind, reference, outcome, amount_minor, currency)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING reference, outcome, attempts`,
      [
        idempotencyKey,
        kind,
        `${kind === 'charge' ? 'ch' : 're'}_${randomUUID()}`,
        outcome,
        amount.amountMinor,
        amount.currency,
      ],
    );
    return rows[0];
  }

  private async resolveTimedOut(idempotencyKey: string, outcome: string): Promise<LedgerRow> {
    const { rows } = await this.db.query<LedgerRow>(
      `UPDATE simulated_provider_ledger SET outcome = $2, attempts = attempts + 1
       WHERE idempotency_key = $1 RETURNING reference, outcome, attempts`,
      [idempotencyKey, outcome],
    );
    return rows[0]!;
  }
}
