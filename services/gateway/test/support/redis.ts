import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A real `redis-server` on loopback (Debian's package; .ci/run installs it). */
export interface RedisServer {
  url: string;
  /** A client of it, for the test to look at the counters. */
  client: Redis;
  /** Stops the server (SIGTERM); `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connected clients get no answer until `resume`. */
  pause(): void;
  resume(): void;
  /** Stops the server for good. */
  close(): Promise<void>;
}

function redisServerBinary(): string {
  const configured = process.env.REDIS_SERVER;
  if (configured) return configured;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server is not installed: the shared rate-limit suite runs a real one ' +
        '(Debian: apt-get install redis-server; .ci/run installs it), or set REDIS_SERVER',
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a throw-away Redis: loopback only, no persistence, in a temporary directory. */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = redisServerBinary();
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'mercato-redis-'));
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
    for (;;) {
      if (spawned.exitCode !== null)
        throw new Error(`redis-server exited (${spawned.exitCode}): ${stderr}`);
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not yet listening
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGCONT');
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      client.disconnect();
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
