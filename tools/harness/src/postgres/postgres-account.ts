import { runCommand } from '../processes.js';

/** The OS account that owns and runs a PostgreSQL server started by root. */
export interface PostgresAccount {
  readonly uid: number;
  readonly gid: number;
}

const POSTGRES_OS_USER = 'postgres';

/**
 * PostgreSQL refuses to run as root, so when the harness runs as root the server runs as the
 * `postgres` OS account that PostgreSQL packages create; otherwise it runs as the current user
 * (undefined).
 */
export async function postgresServerAccount(): Promise<PostgresAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await runCommand('id', ['-u', POSTGRES_OS_USER])).trim());
    const gid = Number((await runCommand('id', ['-g', POSTGRES_OS_USER])).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      `PostgreSQL cannot run as root and there is no "${POSTGRES_OS_USER}" OS user to run it as; ` +
        'run as a normal user, create that user, or set MERCATO_TEST_POSTGRES_URL.',
      { cause: error },
    );
  }
}
