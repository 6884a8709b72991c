import { createPgliteDatabase, snapshotPglite } from './pglite.js';
import { type Database, type DatabaseLogger } from './types.js';

let emptySnapshot: Promise<Blob> | undefined;

/**
 * A new, empty in-memory PGlite database for one test. The first call in a process runs initdb
 * (seconds) and keeps the result; later calls restore that snapshot (a fraction of a second).
 */
export async function createTestPglite(
  options: { logger?: DatabaseLogger } = {},
): Promise<Database> {
  emptySnapshot ??= snapshotPglite().catch((error: unknown) => {
    emptySnapshot = undefined;
    throw error;
  });
  return createPgliteDatabase(options, await emptySnapshot);
}
