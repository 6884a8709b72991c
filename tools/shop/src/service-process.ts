import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnvironment } from '@mercato/config';
import { serviceEntryPoint, serviceNodeOptions, servesGrpc, type ShopService } from './services.js';

/** How a service process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where an instance listens. */
export interface InstancePorts {
  http: number;
  grpc?: number;
}

const READY_POLL_MS = 150;
const LOG_TAIL_LINES = 20;

/**
 * One running copy of a service: a `node dist/main.js` child process with its own ports and its
 * image's Node.js flags (the heap sizes of its Dockerfile's NODE_OPTIONS), writing its JSON log
 * lines to a file. It can be stopped gracefully, killed and started again on the same
 * ports (how the chaos suites restart a service).
 */
export class ServiceProcess {
  readonly httpUrl: string;
  readonly grpcAddress: string | undefined;
  #child: ChildProcess | undefined;
  #exit: Promise<ProcessExit> | undefined;
  #exitInfo: ProcessExit | undefined;
  #expectedExit = false;

  constructor(
    readonly service: ShopService,
    readonly replica: number,
    readonly ports: InstancePorts,
    private readonly environment: Record<string, string>,
    readonly logFile: string,
    private readonly onUnexpectedExit: (instance: ServiceProcess, exit: ProcessExit) => void,
  ) {
    this.httpUrl = `http://127.0.0.1:${ports.http}`;
    this.grpcAddress =
      servesGrpc(service) && ports.grpc !== undefined ? `127.0.0.1:${ports.grpc}` : undefined;
  }

  /** `order#1`: how logs and errors name this instance. */
  get name(): string {
    return `${this.service}#${this.replica}`;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.#exitInfo === undefined ? this.#child?.pid : undefined;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.#child !== undefined && this.#exitInfo === undefined;
  }

  /** Spawns the process (appending to its log file) and waits until /health/ready answers 200. */
  async start(readyTimeoutMs: number): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      // As flags, not NODE_OPTIONS: the caller's own NODE_OPTIONS still applies, and these win.
      const flags = serviceNodeOptions(this.service);
      child = spawn(process.execPath, [...flags, serviceEntryPoint(this.service)], {
        env: childEnvironment(this.environment),
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.#child = child;
    this.#exitInfo = undefined;
    this.#expectedExit = false;
    this.#exit = new Promise((resolve) => {
      const finish = (exit: ProcessExit) => {
        if (this.#child !== child) return;
        this.#exitInfo = exit;
        resolve(exit);
        if (!this.#expectedExit) this.onUnexpectedExit(this, exit);
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      child.once('error', () => finish({ code: null, signal: null }));
    });
    await this.#waitReady(readyTimeoutMs);
  }

  /** Sends SIGTERM and waits for the graceful shutdown; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<ProcessExit | undefined> {
    if (!this.running) return this.#exitInfo;
    this.#expectedExit = true;
    this.#child!.kill('SIGTERM');
    const timer = new AbortController();
    const exit = await Promise.race([
      this.#exit!,
      sleep(timeoutMs, undefined, { signal: timer.signal }).then(
        () => undefined,
        () => undefined,
      ),
    ]);
    timer.abort();
    if (exit) return exit;
    this.#child!.kill('SIGKILL');
    return this.#exit!;
  }

  /** Kills the process at once (a crash, as far as the rest of the shop can tell). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit | undefined> {
    if (!this.running) return this.#exitInfo;
    this.#expectedExit = true;
    this.#child!.kill(signal);
    return this.#exit!;
  }

  /** Resolves when the current process has ended. */
  exited(): Promise<ProcessExit | undefined> {
    return this.#exit ?? Promise.resolve(undefined);
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = `${this.httpUrl}/health/ready`;
    for (;;) {
      if (this.#exitInfo) {
        throw new Error(
          `${this.name} exited (${describeExit(this.#exitInfo)}) before it was ready. ` +
            `Last lines of ${this.logFile}:\n${await tail(this.logFile)}`,
        );
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `${this.name} was not ready on ${url} within ${timeoutMs} ms. ` +
            `Last lines of ${this.logFile}:\n${await tail(this.logFile)}`,
        );
      }
      await sleep(READY_POLL_MS);
    }
  }
}

/** `code 1` or `SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ?? `code ${exit.code}`;
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}
