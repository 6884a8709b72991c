import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { tailFile } from '../files.js';
import { reservePort } from '../ports.js';
import { runCommand, terminateProcess } from '../processes.js';
import { type ServiceDriver, type ServiceInstance, type SpawnRecorder } from '../shared-service.js';
import { type PostgresAccount, postgresServerAccount } from './postgres-account.js';
import { findPostgresBinDir } from './postgres-binaries.js';

/** Where clients reach a PostgreSQL server: a superuser URL of its `postgres` database. */
export interface PostgresEndpoint {
  readonly url: string;
}

/** Inputs of the PostgreSQL driver. */
export interface PostgresDriverOptions {
  /** How long a started server may take to accept connections. */
  readonly readyTimeoutMs?: number;
  /** Progress notes for people. */
  readonly log?: (message: string) => void;
}

const SUPERUSER = 'postgres';

/**
 * Server settings for throw-away test data: durability is traded for speed (no fsync, no waiting
 * for WAL flushes, no full-page images), which is safe because the data directory is deleted when
 * the server stops. TCP on 127.0.0.1 only; no Unix socket, so no system socket directory is needed.
 */
const TEST_SERVER_SETTINGS = [
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=200',
  'unix_socket_directories=',
];

/** A driver that runs a throw-away PostgreSQL server from the locally installed server programs. */
export function createPostgresDriver(
  options: PostgresDriverOptions = {},
): ServiceDriver<PostgresEndpoint> {
  return {
    name: 'postgres',
    // "Fast shutdown": roll back open transactions, disconnect clients, exit.
    stopSignal: 'SIGINT',
    isReady: (endpoint) => isPostgresReachable(endpoint.url),
    start: (workDir, logFile, recordSpawn) => startServer(workDir, logFile, recordSpawn, options),
  };
}

/** True when the server at `url` accepts a connection and answers a query within `timeoutMs`. */
export async function isPostgresReachable(url: string, timeoutMs = 3_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Gives `workDir` to the server's OS account, and explains when that account cannot even reach it. */
export async function handOver(workDir: string, account: PostgresAccount): Promise<void> {
  await chown(workDir, account.uid, account.gid);
  try {
    await runCommand('test', ['-w', workDir], account);
  } catch {
    throw new Error(
      `PostgreSQL runs as the "postgres" OS user, which cannot reach ${workDir}; use a state directory ` +
        'whose parent directories others may search (chmod o+x), such as the default one under the system temp directory.',
    );
  }
}

/**
 * Creates a cluster in `dataDir` whose superuser `postgres` may connect from loopback without a
 * password (the servers listen on 127.0.0.1 only), UTF-8 with the C locale. A `durable` cluster
 * is flushed to disk before initdb returns; a throw-away one is not.
 */
export async function initDataDir(
  binDir: string,
  dataDir: string,
  as: { uid?: number; gid?: number; cwd?: string },
  durable = false,
): Promise<void> {
  await runCommand(
    join(binDir, 'initdb'),
    [
      '--pgdata',
      dataDir,
      '--username',
      SUPERUSER,
      '--auth',
      'trust',
      '--encoding',
      'UTF8',
      '--locale',
      'C',
      ...(durable ? [] : ['--no-sync']),
    ],
    as,
  );
}

async function startServer(
  workDir: string,
  logFile: string,
  recordSpawn: SpawnRecorder,
  options: PostgresDriverOptions,
): Promise<ServiceInstance<PostgresEndpoint>> {
  const binDir = await findPostgresBinDir();
  options.log?.(`Starting a PostgreSQL server from ${binDir} (log: ${logFile}).`);
  const account = await postgresServerAccount();
  const asAccount = account === undefined ? {} : { uid: account.uid, gid: account.gid };
  if (account !== undefined) await handOver(workDir, account);
  const dataDir = join(workDir, 'data');

  const initBegan = Date.now();
  await initDataDir(binDir, dataDir, { ...asAccount, cwd: workDir });
  const initMs = Date.now() - initBegan;

  const startBegan = Date.now();
  const port = await reservePort();
  const settings = TEST_SERVER_SETTINGS.flatMap((setting) => ['-c', setting]);
  const logFd = openSync(logFile, 'w');
  const server = spawn(
    join(binDir, 'postgres'),
    ['-D', dataDir, '-h', '127.0.0.1', '-p', String(port), ...settings],
    // Detached: the server outlives the process that started it; the lease files decide when it stops.
    { detached: true, stdio: ['ignore', logFd, logFd], cwd: workDir, ...asAccount },
  );
  closeSync(logFd);
  const serverProcess: { exit?: string } = {};
  server.once(
    'exit',
    (code, signal) => (serverProcess.exit = `exited with ${signal ?? `code ${code}`}`),
  );
  server.once('error', (error) => (serverProcess.exit = `could not be started (${error.message})`));
  server.unref();
  if (server.pid !== undefined) await recordSpawn(server.pid, dataDir);

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await isPostgresReachable(url, 1_000))) {
    if (serverProcess.exit === undefined && Date.now() < deadline) {
      await sleep(100);
      continue;
    }
    if (serverProcess.exit === undefined && server.pid !== undefined)
      await terminateProcess(server.pid, 'SIGKILL', 0);
    const reason =
      serverProcess.exit ??
      `did not accept connections on port ${port} within ${readyTimeoutMs} ms`;
    throw new Error(
      `PostgreSQL server ${reason}. Last lines of ${logFile}:\n${await tailFile(logFile)}`,
    );
  }
  if (server.pid === undefined) throw new Error('the PostgreSQL server has no pid');
  return {
    pid: server.pid,
    endpoint: { url },
    processMarker: dataDir,
    startedAt: new Date().toISOString(),
    startupTimings: { initdb: initMs, start: Date.now() - startBegan },
  };
}
