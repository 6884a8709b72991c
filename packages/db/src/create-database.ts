import { DEFAULT_PREPARED_STATEMENTS, createPostgresDatabase } from './postgres.js';
import { type Database, type DatabaseOptions } from './types.js';

/**
 * Connects to PostgreSQL when `url` is given, otherwise starts embedded PGlite (in `dataDir`, or in
 * memory). Both run the same SQL and return rows of the same shape.
 *
 * PGlite is imported only on its branch: a service on PostgreSQL does not load its ~0.5 MB of
 * JavaScript (and the source text V8 keeps of it) into a heap that lives as long as the process.
 */
export async function createDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.url) {
    const db = createPostgresDatabase(options.url, options);
    options.logger?.info(
      {
        kind: db.kind,
        server: describeServer(options.url),
        preparedStatements: options.preparedStatements ?? DEFAULT_PREPARED_STATEMENTS,
      },
      'Using PostgreSQL',
    );
    return db;
  }
  const { createPgliteDatabase } = await import('./pglite.js');
  const db = await createPgliteDatabase(options);
  options.logger?.info(
    { kind: db.kind, dataDir: options.dataDir ?? 'in memory' },
    'Using embedded PGlite',
  );
  return db;
}

/** Host and database of a connection URL, without credentials, for logs. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'unparseable URL';
  }
}
