import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, type DatabaseLogger } from './types.js';

/** One versioned schema change: SQL statements run in a single transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What {@link migrate} did: versions it applied now and versions that were already applied. */
export interface MigrationReport {
  applied: number[];
  skipped: number[];
}

export interface MigrateOptions {
  logger?: DatabaseLogger;
}

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** Serialises migrate() across replicas sharing one database (advisory locks are per database). */
export const MIGRATION_LOCK = 'mercato:schema_migrations';

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    bigint      PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

/** SHA-256 of the SQL with line endings normalised, so a CRLF checkout does not look like an edit. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/**
 * Reads `NNN_name.sql` files from `dir` (a path or a file: URL, e.g. `new URL('../migrations/', import.meta.url)`),
 * ordered by version. Other files are ignored; a `.sql` file not named that way is an error.
 */
export async function loadMigrations(dir: string | URL): Promise<Migration[]> {
  const path = dir instanceof URL ? fileURLToPath(dir) : dir;
  const migrations: Migration[] = [];
  for (const file of await readdir(path)) {
    if (!file.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new Error(`Migration file ${file} in ${path} is not named NNN_name.sql`);
    }
    migrations.push({
      version: Number(match[1]),
      name: match[2],
      sql: await readFile(join(path, file), 'utf8'),
    });
  }
  return sortedAndChecked(migrations);
}

function sortedAndChecked(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((migration, index) => {
    if (!Number.isSafeInteger(migration.version) || migration.version < 1) {
      throw new Error(
        `Migration ${migration.name} has version ${migration.version}; versions are positive integers`,
      );
    }
    const previous = sorted[index - 1];
    if (previous?.version === migration.version) {
      throw new Error(
        `Migrations ${previous.name} and ${migration.name} share version ${migration.version}`,
      );
    }
  });
  return sorted;
}

/**
 * Brings the schema up to date: applies, in version order, every migration not yet recorded in
 * `schema_migrations`, each in its own transaction together with its record. Refuses to run when an
 * applied migration's SQL has changed. Holds an advisory lock throughout, so replicas starting at
 * once apply each migration exactly once.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[],
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const pending = sortedAndChecked(migrations);
  return db.withAdvisoryLock(MIGRATION_LOCK, async () => {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const { rows } = await db.query<AppliedMigration>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(rows.map((row) => [row.version, row]));
    verifyUnchanged(pending, applied, options.logger);

    const report: MigrationReport = { applied: [], skipped: [] };
    for (const migration of pending) {
      if (applied.has(migration.version)) {
        report.skipped.push(migration.version);
        continue;
      }
      await db.transaction(async (tx) => {
        await tx.exec(migration.sql);
        await tx.query(
          'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [migration.version, migration.name, migrationChecksum(migration.sql)],
        );
      });
      report.applied.push(migration.version);
      options.logger?.info(
        { version: migration.version, name: migration.name },
        'Applied migration',
      );
    }
    return report;
  });
}

function verifyUnchanged(
  migrations: readonly Migration[],
  applied: ReadonlyMap<number, AppliedMigration>,
  logger: DatabaseLogger | undefined,
): void {
  const known = new Set(migrations.map((migration) => migration.version));
  for (const migration of migrations) {
    const record = applied.get(migration.version);
    if (record && record.checksum !== migrationChecksum(migration.sql)) {
      throw new Error(
        `Migration ${migration.version} (${record.name}) was changed after it was applied; ` +
          'add a new migration instead of editing an applied one',
      );
    }
  }
  // A newer release may have migrated already (rolling update or rollback); its schema stays compatible.
  const unknown = [...applied.keys()].filter((version) => !known.has(version));
  if (unknown.length > 0) {
    logger?.warn(
      { versions: unknown },
      'Database has migrations this release does not know; leaving them as they are',
    );
  }
}
