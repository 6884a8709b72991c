import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { reservePort } from '../ports.js';
import { runCommand } from '../processes.js';

/** A throw-away `redis-server` on loopback: no persistence, in a temporary directory. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The process while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM); `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connected clients get no answer until `resume`. */
  pause(): void;
  resume(): void;
  /** Stops the server for good and deletes its directory. */
  close(): Promise<void>;
}

/** `redis-server` from REDIS_SERVER or PATH, or undefined when this machine has none. */
export async function findRedisServer(): Promise<string | undefined> {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  const found = await runCommand('sh', ['-c', 'command -v redis-server'], {
    timeoutMs: 5_000,
  }).catch(() => '');
  return found.trim() || undefined;
}

/** True when the server on `port` answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts a Redis for tests and for `pnpm start`: 127.0.0.1 on a free port, nothing saved, in a
 * temporary directory; ready when it answers PING.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = await findRedisServer();
  if (!binary)
    throw new Error(
      'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it), or set REDIS_SERVER',
    );
  const port = await reservePort();
  const directory = await mkdtemp(join(tmpdir(), 'mercato-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    const spawned = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        directory,
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = spawned;
    let stderr = '';
    spawned.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (spawned.exitCode !== null)
        throw new Error(`redis-server exited (${spawned.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${stderr}`);
      await sleep(50);
    }
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGCONT');
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
