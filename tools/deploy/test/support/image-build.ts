import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repositoryPath, run, type ServiceName } from './repository.js';

/** The script every RUN line of the service Dockerfiles calls. */
export const BUILD_STEPS = repositoryPath('scripts/docker-build-steps.sh');

// Upper bounds for a hung step on a loaded 2-core machine, not speed claims.
const STEP_TIMEOUT_MS = 240_000;

/**
 * Runs a command as a Dockerfile RUN line does. Jest's NODE_OPTIONS is dropped: no RUN line has
 * it, and it would reach every node process the build starts.
 */
const asRunLine = (command: readonly string[], cwd: string, variables: readonly string[] = []) =>
  run('env', ['-u', 'NODE_OPTIONS', ...variables, ...command], { cwd, timeoutMs: STEP_TIMEOUT_MS });

const buildStep = (args: readonly string[], cwd: string, variables: readonly string[] = []) =>
  asRunLine(['bash', BUILD_STEPS, ...args], cwd, variables);

/** Where a replay works, and what replays share. */
export interface ReplayOptions {
  /** A directory of this replay's own, created if missing. */
  readonly workDir: string;
  /**
   * A turbo cache the replays share. turbo restores a task's output only when all its inputs
   * (sources, manifests, locked versions, environment) hash the same, so a later replay restores
   * exactly what it would have built; the first one builds everything, as a Docker build does.
   */
  readonly turboCacheDir: string;
}

/**
 * Replays the build stages of services/<service>/Dockerfile: prune the repository to the
 * service's workspace, install from the pruned lockfile, copy the sources, build, deploy.
 * Resolves with the directory the runtime stage copies (`/deployed` in the image).
 */
export async function replayImageBuild(
  service: ServiceName,
  { workDir, turboCacheDir }: ReplayOptions,
): Promise<string> {
  const pruned = join(workDir, 'pruned');
  const workspace = join(workDir, 'workspace');
  const deployed = join(workDir, 'deployed');
  mkdirSync(workDir, { recursive: true });
  // The prune stage runs in the build context: the repository, with its own turbo on PATH
  // (the toolchain stage installs that same version, which the suite checks).
  await asRunLine(
    ['pnpm', 'exec', 'bash', BUILD_STEPS, 'prune', service, pruned],
    repositoryPath('.'),
  );
  cpSync(join(pruned, 'json'), workspace, { recursive: true });
  await buildStep(['install'], workspace);
  cpSync(join(pruned, 'full'), workspace, { recursive: true });
  await buildStep(['build', service], workspace, [`TURBO_CACHE_DIR=${turboCacheDir}`]);
  await buildStep(['deploy', service, deployed], workspace);
  return deployed;
}

/** The versions `docker-build-steps.sh toolchain` would install, e.g. `pnpm@10.34.8 turbo@2.11.11`. */
export async function toolchainVersions(): Promise<string> {
  const { stdout } = await buildStep(['toolchain-versions', '.'], repositoryPath('.'));
  return stdout.trim();
}

/** A deployed bundle running as the image's CMD runs it. */
export interface RunningBundle {
  readonly process: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the HTTP address the service logs once it listens. */
  httpAddress(timeoutMs: number): Promise<string>;
  /** Polls `url` until it answers 200 or `timeoutMs` passed; resolves with the last status. */
  pollUntil200(url: string, timeoutMs: number): Promise<number | undefined>;
  /** Sends SIGTERM and resolves with the exit code. */
  terminate(): Promise<number | null>;
  /** Kills the process if it still runs (clean-up after a failed test). */
  kill(): Promise<void>;
}

/**
 * Starts `node dist/main.js` in `bundle` with exactly `environment` (the image's CMD, nothing of
 * this machine's environment): no PATH, no NODE_OPTIONS, no development dependency to fall back on.
 */
export function startBundle(bundle: string, environment: Record<string, string>): RunningBundle {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: bundle,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    process: child,
    output: () => output,
    async httpAddress(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const address = announcedHttpAddress(stdout);
        if (address !== undefined) return address;
        if (!running()) throw new Error(`the service exited before it listened:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the service never listened:\n${output}`);
        await sleep(100);
      }
    },
    async pollUntil200(url, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let status: number | undefined;
      while (status !== 200 && Date.now() < deadline) {
        if (!running()) throw new Error(`the service exited early:\n${output}`);
        status = await fetch(url)
          .then((response) => response.status)
          .catch(() => undefined);
        if (status !== 200) await sleep(250);
      }
      return status;
    },
    async terminate() {
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The HTTP address in the service's start-up log line: `http` in the service kit's
 * "<name> started", `url` in the gateway's "gateway listening" (JSON lines on stdout).
 */
function announcedHttpAddress(stdout: string): string | undefined {
  const completeLines = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n');
  for (const line of completeLines) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record !== 'object' || record === null) continue;
    const { http, url } = record as { http?: unknown; url?: unknown };
    const address = http ?? url;
    if (typeof address === 'string' && address.startsWith('http://')) return address;
  }
  return undefined;
}
