import { randomBytes } from 'node:crypto';
import pg from 'pg';

const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Creates a new, empty database named after `name` plus a random suffix (so parallel suites never
 * share one) on the server at `serverUrl`, and returns the URL of that database.
 */
export async function createTestDatabase(serverUrl: string, name: string): Promise<string> {
  const database = uniqueDatabaseName(name);
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops a database made by `createTestDatabase`, ending any sessions still connected to it. */
export async function dropTestDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`),
  );
}

/** `name` reduced to a safe lower-case identifier, plus `_` and 8 random hex digits. */
export function uniqueDatabaseName(name: string): string {
  const suffix = randomBytes(4).toString('hex');
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'test';
  return `${base.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length - 1)}_${suffix}`;
}

/** Runs `action` with a connection of its own to `url`, closed afterwards. */
export async function withClient<T>(
  url: string,
  action: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
