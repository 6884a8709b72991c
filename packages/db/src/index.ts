export { createDatabase } from './create-database.js';
export { advisoryLockKey } from './advisory-lock.js';
export {
  SqlState,
  TransactionRolledBackError,
  isForeignKeyViolation,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
} from './errors.js';
export {
  MIGRATION_LOCK,
  loadMigrations,
  migrate,
  migrationChecksum,
  type MigrateOptions,
  type Migration,
  type MigrationReport,
} from './migrations.js';
export type {
  AdvisoryLock,
  AdvisoryLockKey,
  Database,
  DatabaseKind,
  DatabaseLogger,
  DatabaseOptions,
  IsolationLevel,
  Listening,
  Queryable,
  QueryResult,
  TransactionOptions,
} from './types.js';
