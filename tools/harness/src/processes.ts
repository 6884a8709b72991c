import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isErrorCode } from './errors.js';

const execFileAsync = promisify(execFile);

/** True while a process with this pid exists and is not a zombie (it may belong to another user). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (!isErrorCode(error, 'EPERM')) return false;
  }
  if (process.platform !== 'linux') return true;
  // A zombie has exited and only waits for its parent to collect it; no stat file means it is gone.
  const state = await linuxProcessState(pid);
  return state !== undefined && state !== 'Z';
}

/** The command line of a running process, or `undefined` when there is no such process. */
export async function processCommandLine(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      return raw.length > 0 ? raw.split('\0').join(' ').trim() : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'args=', '-p', String(pid)]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and its command line contains `marker` (a path unique to the server we
 * started). Guards every kill against a pid that the OS has meanwhile given to another program.
 */
export async function isOwnProcess(pid: number, marker: string): Promise<boolean> {
  return (
    (await isProcessAlive(pid)) && ((await processCommandLine(pid))?.includes(marker) ?? false)
  );
}

/** Resolves once the process has exited, or `false` after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Sends `signal`, waits up to `graceMs` for a clean exit, then SIGKILLs. Resolves when the process is gone. */
export async function terminateProcess(
  pid: number,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (!sendSignal(pid, signal)) return;
  if (await waitForExit(pid, graceMs)) return;
  sendSignal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 10_000)))
    throw new Error(`process ${pid} did not exit after SIGKILL`);
}

/** Asks the OS for a currently unused TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('the OS did not assign a port')),
      );
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs a short command and returns its stdout; rejects with its output when it fails. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: {
    readonly timeoutMs?: number;
    readonly uid?: number;
    readonly gid?: number;
    readonly cwd?: string;
  } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 16 * 1024 * 1024,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    const output = [failure.stdout, failure.stderr].filter(Boolean).join('\n').trim();
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failure.message}${output ? `\n${output}` : ''}`,
      {
        cause: error,
      },
    );
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function linuxProcessState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself contain spaces or parentheses; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
