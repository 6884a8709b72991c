import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Jaeger v2 all-in-one's fixed local ports (its embedded configuration, bound to localhost). */
export const JAEGER_PORTS = { otlpHttp: 4318, ui: 16686, health: 13133 } as const;

/** A trace backend the shop's services send spans to. */
export interface TraceBackend {
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  endpoint: string;
  /** Where to look at traces, when the backend has a UI. */
  uiUrl: string | undefined;
  /** How it was found: `given` (OTEL_EXPORTER_OTLP_ENDPOINT) or the Jaeger binary it runs. */
  source: string;
  /** The process id of the Jaeger this shop runs (none for a given endpoint). */
  pid?: number | undefined;
  stop(): Promise<void>;
}

/**
 * The Jaeger binary to run: `JAEGER_BINARY`, else the one `pnpm jaeger:install` builds into
 * `<data dir>/bin`, else `jaeger` on the PATH. Undefined when there is none.
 */
export async function findJaeger(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const candidates = [
    env.JAEGER_BINARY,
    join(dataDir, 'bin', 'jaeger'),
    ...(env.PATH ?? '').split(delimiter).map((directory) => join(directory, 'jaeger')),
  ].filter((candidate): candidate is string => Boolean(candidate));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there; try the next
    }
  }
  return undefined;
}

async function healthy(timeoutMs: number, process: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.exitCode !== null || process.signalCode !== null)
      throw new Error(`jaeger exited (${process.exitCode ?? process.signalCode}) while starting`);
    const ok = await fetch(`http://127.0.0.1:${JAEGER_PORTS.health}/status`, {
      signal: AbortSignal.timeout(1_000),
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`jaeger was not healthy after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * Starts Jaeger v2 all-in-one (in-memory storage) on localhost and waits until it is healthy. Its
 * output goes to `logFile`; `stop()` ends it with SIGTERM (SIGKILL after 5 s).
 */
export async function startJaeger(
  binary: string,
  logFile: string,
  readyTimeoutMs = 30_000,
): Promise<TraceBackend> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(binary, [], {
    // All-in-one binds every port to this host; the shop's own processes are all local.
    env: { ...process.env, JAEGER_LISTEN_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) child.kill('SIGKILL');
      await exited;
    }
    log.end();
  };
  try {
    await healthy(readyTimeoutMs, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${JAEGER_PORTS.otlpHttp}`,
    uiUrl: `http://localhost:${JAEGER_PORTS.ui}`,
    source: binary,
    pid: child.pid,
    stop,
  };
}
