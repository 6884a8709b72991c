import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './repository.js';

/**
 * Runs the arguments the manifests give Redis with a real `redis-server` (Debian's package;
 * .ci/run installs it): a misspelt or misplaced option stops it at start-up, and the values it
 * reports are the ones it runs with. The local binary is not the image's (7.0 here, 7.4 in the
 * image); every option the manifests use has the same name and meaning in both.
 */

/** The server binary: REDIS_SERVER, else `redis-server` on PATH. redis-cli comes with it. */
const SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const CLI = process.env.REDIS_CLI ?? 'redis-cli';

const START_TIMEOUT_MS = 10_000;

/** A loopback port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The words of `redis-cli … --pipe` input for one command (RESP arrays of bulk strings). */
export function respCommand(words: readonly string[]): string {
  return `*${words.length}\r\n${words.map((word) => `$${Buffer.byteLength(word)}\r\n${word}\r\n`).join('')}`;
}

/** A redis-server started for a test, on loopback and a port of its own. */
export interface LocalRedis {
  readonly port: number;
  /** `redis-cli -p <port> <args>`; resolves with its standard output. */
  cli(...args: string[]): Promise<string>;
  /** `INFO <section>` as name → value. */
  info(section: string): Promise<Record<string, string>>;
  /** Sends `input` through `redis-cli --pipe`; resolves with the errors and replies it counted. */
  pipe(input: Iterable<string>): Promise<{ errors: number; replies: number }>;
  /** Stops the server (SIGTERM) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server <args>` as the container would (the working directory its own, empty),
 * plus `--port` and `--bind 127.0.0.1` appended, which override any earlier value: the test's
 * server is never reachable from outside this machine. Rejects with the server's output when it
 * exits instead (an unknown option, a bad value).
 */
export async function startRedisServer(args: readonly string[]): Promise<LocalRedis> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'mercato-deploy-redis-'));
  const child: ChildProcess = spawn(
    SERVER,
    [...args, '--port', String(port), '--bind', '127.0.0.1'],
    {
      cwd: directory,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let spawnFailure: Error | undefined;
  child.on('error', (error) => (spawnFailure = error));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => !spawnFailure && child.exitCode === null && child.signalCode === null;

  const cli = async (...words: string[]) =>
    (await run(CLI, ['-p', String(port), ...words], { timeoutMs: 30_000 })).stdout;

  const stop = async () => {
    if (running()) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    await sleep(50);
    if (spawnFailure) {
      rmSync(directory, { recursive: true, force: true });
      throw new Error(
        `${SERVER} could not be started (.ci/run installs redis-server): ${spawnFailure.message}`,
      );
    }
    if (!running()) {
      rmSync(directory, { recursive: true, force: true });
      throw new Error(`redis-server ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    }
    const answer = await cli('ping').catch(() => '');
    if (answer.trim() === 'PONG') break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server never answered PING:\n${output}`);
    }
  }

  return {
    port,
    cli,
    async info(section) {
      const text = await cli('info', section);
      return Object.fromEntries(
        text
          .split(/\r?\n/)
          .filter((line) => line.includes(':') && !line.startsWith('#'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
      );
    },
    async pipe(input) {
      const piped = spawn(CLI, ['-p', String(port), '--pipe'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let report = '';
      piped.stdout.on('data', (chunk: Buffer) => (report += chunk.toString()));
      piped.stderr.on('data', (chunk: Buffer) => (report += chunk.toString()));
      const done = once(piped, 'exit');
      for (const chunk of input) {
        if (!piped.stdin.write(chunk)) await once(piped.stdin, 'drain');
      }
      piped.stdin.end();
      await done;
      const counts = /errors: (\d+), replies: (\d+)/.exec(report);
      if (!counts) throw new Error(`redis-cli --pipe reported no counts:\n${report}`);
      return { errors: Number(counts[1]), replies: Number(counts[2]) };
    },
    stop,
  };
}

/** The value CONFIG GET reports for one parameter ('' for an empty one). */
export async function configValue(redis: LocalRedis, name: string): Promise<string> {
  const [reported, value = ''] = (await redis.cli('config', 'get', name)).split(/\r?\n/);
  if (reported !== name) throw new Error(`CONFIG GET ${name} answered ${String(reported)}`);
  return value;
}

/**
 * A redis-server command line's options: each `--name` and the words after it up to the next
 * option, as redis-server reads them (`--save ''` is the option save with one empty value).
 */
export function redisOptions(args: readonly string[]): Record<string, string[]> {
  const options: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const word of args) {
    if (word.startsWith('--')) {
      current = [];
      options[word.slice(2)] = current;
    } else if (current) {
      current.push(word);
    } else {
      throw new Error(`${word} comes before any option`);
    }
  }
  return options;
}

const REDIS_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** Bytes of a redis.conf memory value (`48mb`: mebibytes, `48m`: millions of bytes). */
export function redisBytes(value: string | undefined): number {
  const match = /^(\d+)([a-z]*)$/i.exec(value ?? '');
  const unit = match ? REDIS_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`not a Redis memory value: ${String(value)}`);
  return Number(match[1]) * unit;
}

/** Runs a shell command line (a probe's or healthcheck's) and resolves with its exit code. */
export function shellExitCode(commandLine: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', commandLine], { timeout: 10_000 }, (error) => {
      const code = (error as { code?: unknown } | null)?.code;
      resolve(error === null ? 0 : typeof code === 'number' ? code : -1);
    });
  });
}
