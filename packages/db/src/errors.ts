/** SQLSTATE codes the services act on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  inFailedTransaction: '25P02',
  featureNotSupported: '0A000',
} as const;

/** The SQLSTATE of an error raised by PostgreSQL or PGlite (both expose it as `code`), else undefined. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function constraintOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('constraint' in error)) return undefined;
  return typeof error.constraint === 'string' ? error.constraint : undefined;
}

/** True for a unique-constraint violation (23505), optionally only on the named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    sqlState(error) === SqlState.uniqueViolation &&
    (constraint === undefined || constraintOf(error) === constraint)
  );
}

/** True for a foreign-key violation (23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === SqlState.foreignKeyViolation;
}

/** True when a SERIALIZABLE or REPEATABLE READ transaction lost a conflict (40001) and may be retried. */
export function isSerializationFailure(error: unknown): boolean {
  return sqlState(error) === SqlState.serializationFailure;
}

/**
 * Thrown by `transaction()` on PostgreSQL when COMMIT turned into ROLLBACK because a statement inside
 * the transaction had failed and `fn` carried on; PGlite throws its own error with the same code.
 */
export class TransactionRolledBackError extends Error {
  readonly code = SqlState.inFailedTransaction;

  constructor() {
    super('Transaction was rolled back instead of committed: a statement inside it failed');
    this.name = 'TransactionRolledBackError';
  }
}
