import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileExists, tailFile } from '../files.js';
import { reservePort } from '../ports.js';
import { isOwnProcess, terminateProcess } from '../processes.js';
import { postgresServerAccount } from './postgres-account.js';
import { withClient } from './databases.js';
import { findPostgresBinDir } from './postgres-binaries.js';
import { handOver, initDataDir, isPostgresReachable } from './postgres-server.js';

/**
 * Settings of a small local server for one person's shop: little shared memory (the shop's data
 * is a few MiB), room for every service's pool at several replicas, TCP on 127.0.0.1 only. Unlike
 * the harness's throw-away servers, it keeps PostgreSQL's durability defaults: the data persists.
 */
const LOCAL_SERVER_SETTINGS = [
  'shared_buffers=16MB',
  'max_connections=200',
  'unix_socket_directories=',
];

/** A PostgreSQL server that keeps its data in a directory of its own, run by one process. */
export interface LocalPostgres {
  /** e.g. `PostgreSQL 15.14`. */
  readonly version: string;
  /** The server's process (the postmaster; its backends are its children). */
  readonly pid: number;
  /** Whether the data directory was created by this start (an empty cluster). */
  readonly created: boolean;
  /** The URL of `database`, created first when it does not exist. */
  database(name: string): Promise<string>;
  /** Fast shutdown: open transactions roll back, clients are disconnected, the data stays. */
  stop(): Promise<void>;
}

export interface StartLocalPostgresOptions {
  /** Holds the cluster (`data/`) and the server's log; created when missing. */
  readonly directory: string;
  readonly readyTimeoutMs?: number;
}

/** Whether this machine has the PostgreSQL server programs (initdb, postgres). */
export async function hasPostgresServer(): Promise<boolean> {
  return findPostgresBinDir().then(
    () => true,
    () => false,
  );
}

/**
 * Starts a PostgreSQL server on a free loopback port over the cluster in `<directory>/data`,
 * creating the cluster the first time. A server a killed run left behind on the same data is
 * stopped first (its postmaster.pid names it), so the data directory is never shared.
 */
export async function startLocalPostgres(
  options: StartLocalPostgresOptions,
): Promise<LocalPostgres> {
  const binDir = await findPostgresBinDir();
  const { directory } = options;
  const dataDir = join(directory, 'data');
  const logFile = join(directory, 'postgres.log');
  await mkdir(directory, { recursive: true });
  const account = await postgresServerAccount();
  const asAccount = account === undefined ? {} : { uid: account.uid, gid: account.gid };
  if (account !== undefined) await handOver(directory, account);

  await stopLeftover(dataDir);
  const created = !(await fileExists(join(dataDir, 'PG_VERSION')));
  if (created) await initDataDir(binDir, dataDir, { ...asAccount, cwd: directory }, true);

  const port = await reservePort();
  const logFd = openSync(logFile, 'a');
  const server = spawn(
    join(binDir, 'postgres'),
    [
      '-D',
      dataDir,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...LOCAL_SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    ],
    { stdio: ['ignore', logFd, logFd], cwd: directory, ...asAccount },
  );
  closeSync(logFd);
  let exit: string | undefined;
  server.once('exit', (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  server.once('error', (error) => (exit = `could not be started (${error.message})`));

  const serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!(await isPostgresReachable(serverUrl, 1_000))) {
    if (exit === undefined && Date.now() < deadline) {
      await sleep(100);
      continue;
    }
    if (exit === undefined && server.pid !== undefined)
      await terminateProcess(server.pid, 'SIGKILL', 0);
    throw new Error(
      `the PostgreSQL server in ${dataDir} ${exit ?? 'did not accept connections in time'} ` +
        `(data made by another PostgreSQL version? pnpm start --reset starts afresh). ` +
        `Last lines of ${logFile}:\n${await tailFile(logFile)}`,
    );
  }
  const pid = server.pid!;
  const [{ version }] = (await query<{ version: string }>(
    serverUrl,
    "SELECT 'PostgreSQL ' || split_part(current_setting('server_version'), ' ', 1) AS version",
  )) as [{ version: string }];
  return {
    version,
    pid,
    created,
    async database(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`not a database name: ${name}`);
      const present = await query(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [
        name,
      ]);
      if (present.length === 0) await query(serverUrl, `CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (exit === undefined) await terminateProcess(pid, 'SIGINT', 30_000);
    },
  };
}

/** Stops a server still running on `dataDir` (a run that was killed left it). */
async function stopLeftover(dataDir: string): Promise<void> {
  const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && (await isOwnProcess(pid, dataDir)))
    await terminateProcess(pid, 'SIGINT', 30_000);
}

async function query<Row = unknown>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  return withClient(url, async (client) => (await client.query(text, values)).rows as Row[]);
}
