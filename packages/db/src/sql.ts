import { SpanKind } from '@mercato/tracing';
import { type TransactionOptions } from './types.js';

/** Statements both backends run, so the engine sees the same SQL either way. */
export const Sql = {
  ping: 'SELECT 1',
  tryAdvisoryLock: 'SELECT pg_try_advisory_lock($1::int8) AS locked',
  advisoryLock: 'SELECT pg_advisory_lock($1::int8)',
  advisoryUnlock: 'SELECT pg_advisory_unlock($1::int8)',
} as const;

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** `channel` itself when it is a plain lowercase identifier, safe to put in SQL; throws otherwise. */
export function channelName(channel: string): string {
  if (!CHANNEL.test(channel)) {
    throw new TypeError(
      `A channel must be a lowercase SQL identifier, got ${JSON.stringify(channel)}`,
    );
  }
  return channel;
}

/** The span around a transaction, BEGIN to COMMIT: its queries are its children. */
export const TRANSACTION_SPAN = 'transaction';
export const TRANSACTION_SPAN_OPTIONS = {
  kind: SpanKind.CLIENT,
  attributes: { 'db.system.name': 'postgresql' },
} as const;

/** `SET TRANSACTION …` for the options, or undefined when the session defaults apply. */
export function setTransactionSql(options: TransactionOptions | undefined): string | undefined {
  const modes: string[] = [];
  if (options?.isolationLevel)
    modes.push(`ISOLATION LEVEL ${isolationLevelSql(options.isolationLevel)}`);
  if (options?.readOnly !== undefined) modes.push(options.readOnly ? 'READ ONLY' : 'READ WRITE');
  return modes.length > 0 ? `SET TRANSACTION ${modes.join(', ')}` : undefined;
}

function isolationLevelSql(level: string): string {
  switch (level) {
    case 'read committed':
      return 'READ COMMITTED';
    case 'repeatable read':
      return 'REPEATABLE READ';
    case 'serializable':
      return 'SERIALIZABLE';
    default:
      throw new TypeError(`Unknown isolation level: ${level}`);
  }
}
