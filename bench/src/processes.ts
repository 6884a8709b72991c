import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnvironment } from '@mercato/config';
import { SHOP_SERVICES, serviceNodeOptions, type ShopService } from '@mercato/shop';
import type { TargetReady } from './targets/target-process.js';

const STDERR_TAIL = 4_000;

/** The value of `promise`, or undefined if it takes longer than `timeoutMs` (its timer is cleared either way). */
async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(timeoutMs, undefined, { signal: timer.signal }).catch(() => undefined),
    ]);
  } finally {
    timer.abort();
  }
}

/** A process the benchmark started: a target or a service, stopped with SIGTERM. */
export class BenchProcess {
  #stderr = '';
  readonly #exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    this.#exited = once(child, 'exit').then(() => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines the process wrote to stderr (for error messages). */
  get stderr(): string {
    return this.#stderr.trim();
  }

  /** Resolves when the process has exited, however. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const exitedInTime = await within(
      this.#exited.then(() => true),
      graceMs,
    );
    if (!exitedInTime) {
      this.child.kill('SIGKILL');
      await this.#exited;
    }
  }
}

/** Starts one of this package's benchmark targets and waits for the URL it serves. */
export async function startTarget(
  script: 'raw-http' | 'express' | 'in-process-gateway' | 'otlp-sink',
  settings: unknown,
  timeoutMs = 90_000,
): Promise<{ process: BenchProcess; url: string }> {
  // Always the built target, also when this module runs from source (Jest): a child process
  // runs plain JavaScript.
  const entry = fileURLToPath(new URL(`../dist/targets/${script}.js`, import.meta.url));
  const child = spawn(
    process.execPath,
    [...targetNodeFlags(script), entry, JSON.stringify(settings)],
    {
      env: childEnvironment(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  const target = new BenchProcess(script, child);
  const ready = new Promise<string>((resolve, reject) => {
    child.on('message', (message: TargetReady) => {
      if (message.type === 'ready') resolve(message.url);
    });
    void target.exited.then(() =>
      reject(new Error(`benchmark target ${script} exited before serving:\n${target.stderr}`)),
    );
  });
  try {
    const url = await within(ready, timeoutMs);
    if (url === undefined)
      throw new Error(`benchmark target ${script} did not serve within ${timeoutMs} ms`);
    child.disconnect();
    return { process: target, url };
  } catch (error) {
    await target.stop();
    throw error;
  }
}

/**
 * The Node.js flags a benchmark target runs with: the gateway image's for the gateway with the
 * product service in-process, so that (b) and (i) run with the heap settings (c) and (h) run with;
 * none for the reference servers and the OTLP sink, which stand for no image of the shop.
 */
export function targetNodeFlags(
  script: 'raw-http' | 'express' | 'in-process-gateway' | 'otlp-sink',
): string[] {
  return script === 'in-process-gateway' ? imageNodeFlags('@mercato/gateway-service') : [];
}

/** The entry point (dist/main.js) of a built workspace service package. */
export function serviceMain(packageName: string): string {
  return fileURLToPath(new URL('./main.js', import.meta.resolve(packageName)));
}

/**
 * The Node.js flags the service's image runs it with (its Dockerfile's NODE_OPTIONS, as the shop
 * passes them), for a package named `@mercato/<service>-service`; none for any other package.
 */
export function imageNodeFlags(packageName: string): string[] {
  const service = /^@mercato\/(.+)-service$/.exec(packageName)?.[1];
  return SHOP_SERVICES.includes(service as ShopService)
    ? serviceNodeOptions(service as ShopService)
    : [];
}

/**
 * Starts a service's main.js with extra environment variables and waits until `readyUrl` answers
 * 200. It runs with its image's Node.js flags (heap sizes), then `nodeFlags`.
 */
export async function startService(
  name: string,
  packageName: string,
  env: Record<string, string>,
  readyUrl: string,
  timeoutMs = 90_000,
  nodeFlags: readonly string[] = [],
): Promise<BenchProcess> {
  const flags = [...imageNodeFlags(packageName), ...nodeFlags];
  const child = spawn(process.execPath, [...flags, serviceMain(packageName)], {
    env: childEnvironment(env),
    // Logs go to /dev/null: serialising them is the service's cost, storing them is not.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const service = new BenchProcess(name, child);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up:\n${service.stderr}`);
    const response = await fetch(readyUrl).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.ok) return service;
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${service.stderr}`);
    }
    await sleep(200);
  }
}

/** Resident set size of a process, in bytes; undefined if it is gone (`@mercato/shop`'s own). */
export { residentSetBytes } from '@mercato/shop';
