import { readHarnessEnvironment } from '../env.js';
import { type AcquireOptions, type InfraSource, serviceStateDir, silent } from '../infra.js';
import { type ServiceInstance, SharedService, type StopOutcome } from '../shared-service.js';
import { createTestDatabase, dropTestDatabase } from './databases.js';
import {
  createPostgresDriver,
  isPostgresReachable,
  type PostgresEndpoint,
} from './postgres-server.js';

/** A reachable PostgreSQL server, held until `release()`. */
export interface PostgresLease {
  /** Superuser URL of the server's `postgres` database; use `createDatabase` for a database of your own. */
  readonly url: string;
  readonly source: InfraSource;
  /** True when this call started the server. */
  readonly started: boolean;
  /** Milliseconds per start-up phase when this call started the server. */
  readonly startupTimings: Readonly<Record<string, number>>;
  /** Creates a fresh, uniquely named database (dropped again on `release()`) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Drops the databases this lease created and gives the lease back; a server the harness started stops with its last lease. Idempotent. */
  release(): Promise<void>;
}

/** How to find or start a server. */
export interface AcquirePostgresOptions extends AcquireOptions {
  /** A server to use when it answers (default `MERCATO_TEST_POSTGRES_URL`); `null` ignores the environment. */
  readonly externalUrl?: string | null;
}

/**
 * Gives a reachable PostgreSQL server: `MERCATO_TEST_POSTGRES_URL` if it answers, else a throw-away
 * server from the local PostgreSQL installation, shared by every process on the machine through
 * lease files and stopped when the last lease is released.
 */
export async function acquirePostgres(
  options: AcquirePostgresOptions = {},
): Promise<PostgresLease> {
  const log = options.log ?? silent;
  const external =
    options.externalUrl === undefined ? readHarnessEnvironment().postgresUrl : options.externalUrl;
  if (external) {
    if (await isPostgresReachable(external)) {
      return databaseLease(
        { url: external, source: 'environment', started: false, startupTimings: {} },
        async () => undefined,
      );
    }
    log(
      `PostgreSQL at ${redactPassword(external)} does not answer; starting a local server instead.`,
    );
  }
  const hold = await postgresService(options, log).acquire(options.hold ?? 'lease');
  return databaseLease(
    {
      url: hold.endpoint.url,
      source: 'harness',
      started: hold.started,
      startupTimings: hold.started ? hold.instance.startupTimings : {},
    },
    hold.release,
  );
}

/** Stops the server the harness runs for this state directory, whoever holds it (`ensure-postgres stop`). */
export function stopPostgres(
  options: Pick<AcquirePostgresOptions, 'stateDir'> = {},
): Promise<StopOutcome> {
  return postgresService(options).stop();
}

/** The server the harness runs for this state directory, with its live holders, if one is running. */
export function postgresStatus(
  options: Pick<AcquirePostgresOptions, 'stateDir'> = {},
): Promise<
  { instance: ServiceInstance<PostgresEndpoint>; holders: number[]; pinned: boolean } | undefined
> {
  return postgresService(options).status();
}

function postgresService(
  options: Pick<AcquirePostgresOptions, 'stateDir'>,
  log: (message: string) => void = silent,
): SharedService<PostgresEndpoint> {
  return new SharedService(
    createPostgresDriver({ log }),
    serviceStateDir('postgres', options.stateDir),
  );
}

function databaseLease(
  server: Omit<PostgresLease, 'createDatabase' | 'release'>,
  releaseServer: () => Promise<void>,
): PostgresLease {
  const created: string[] = [];
  let released = false;
  return {
    ...server,
    async createDatabase(name) {
      const url = await createTestDatabase(server.url, name);
      created.push(url);
      return url;
    },
    async release() {
      if (released) return;
      released = true;
      try {
        for (const url of created.splice(0)) await dropTestDatabase(server.url, url);
      } finally {
        await releaseServer();
      }
    },
  };
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
