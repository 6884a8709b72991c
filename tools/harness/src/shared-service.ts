import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrorCode } from './errors.js';
import { fileExists, readJsonIfPresent, writeJsonAtomically } from './files.js';
import { withLock } from './lock.js';
import { isOwnProcess, isProcessAlive, terminateProcess } from './processes.js';

/** A server process the harness started, as recorded in the state directory. */
export interface ServiceInstance<Endpoint> {
  readonly pid: number;
  readonly endpoint: Endpoint;
  /** A string found only in this server's command line (its config or data path); guards kills against pid reuse. */
  readonly processMarker: string;
  readonly startedAt: string;
  /** Milliseconds spent per start-up phase (download, format, start …), for people, not for logic. */
  readonly startupTimings: Readonly<Record<string, number>>;
}

/** What the generic lease machinery needs to know about one kind of server. */
export interface ServiceDriver<Endpoint> {
  /** Short name used in file names and messages ("kafka", "postgres"). */
  readonly name: string;
  /** Signal that asks this server for a quick clean shutdown. */
  readonly stopSignal: NodeJS.Signals;
  /**
   * Starts a server whose files live in `workDir` (created empty, removed after stop) and that logs to
   * `logFile`; resolves once it serves requests. It calls `recordSpawn` as soon as the server process
   * exists, so that a server whose starter is killed mid-start is found and stopped by the next caller.
   * On failure it must leave no process behind.
   */
  start(
    workDir: string,
    logFile: string,
    recordSpawn: SpawnRecorder,
  ): Promise<ServiceInstance<Endpoint>>;
  /** True when the server at `endpoint` answers. */
  isReady(endpoint: Endpoint): Promise<boolean>;
}

/** Records a just-spawned server process (its pid and the marker found in its command line). */
export type SpawnRecorder = (pid: number, processMarker: string) => Promise<void>;

/** How a holder keeps the server alive: a lease ends with `release()` or its process; a pin ends with `stop()`. */
export type HoldKind = 'lease' | 'pin';

/** The result of acquiring a shared server. */
export interface ServiceHold<Endpoint> {
  readonly endpoint: Endpoint;
  /** True when this call started the server, false when it reused a running one. */
  readonly started: boolean;
  readonly instance: ServiceInstance<Endpoint>;
  /** Ends this hold; the server stops when no live lease and no pin remains. Idempotent. */
  release(): Promise<void>;
}

/** What `stop()` found. */
export interface StopOutcome {
  readonly stopped: boolean;
  /** Pids of processes that still held a lease; their server is gone now. */
  readonly interruptedHolders: readonly number[];
}

const STOP_GRACE_MS = 15_000;

/**
 * One server shared by every process on the machine that uses the same state directory: whoever
 * comes first starts it, later callers reuse it, and the last holder to leave stops it. Decisions are
 * taken under one file lock; each holder is a lease file named after its pid, so holders that died
 * without releasing are recognised and ignored.
 */
export class SharedService<Endpoint> {
  private readonly lockPath: string;
  private readonly statePath: string;
  private readonly spawnedPath: string;
  private readonly leasesDir: string;
  private readonly pinPath: string;
  private readonly workDir: string;
  private readonly logFile: string;

  constructor(
    private readonly driver: ServiceDriver<Endpoint>,
    readonly stateDir: string,
  ) {
    this.lockPath = join(stateDir, 'lock');
    this.statePath = join(stateDir, 'state.json');
    this.spawnedPath = join(stateDir, 'spawned.json');
    this.leasesDir = join(stateDir, 'leases');
    this.pinPath = join(stateDir, 'pinned');
    this.workDir = join(stateDir, 'run');
    this.logFile = join(stateDir, `${driver.name}.log`);
  }

  /** Reuses the running server or starts one, and records a lease (or a pin) for the caller. */
  async acquire(kind: HoldKind = 'lease'): Promise<ServiceHold<Endpoint>> {
    await mkdir(this.leasesDir, { recursive: true });
    return withLock(this.lockPath, async () => {
      let instance = await this.runningInstance();
      const started = instance === undefined;
      instance ??= await this.startInstance();
      const holdPath =
        kind === 'pin' ? this.pinPath : join(this.leasesDir, `${process.pid}-${randomUUID()}`);
      await writeFile(holdPath, `${process.pid}\n`);
      let released = false;
      return {
        endpoint: instance.endpoint,
        started,
        instance,
        release: async () => {
          if (released || kind === 'pin') return;
          released = true;
          await this.releaseLease(holdPath);
        },
      };
    });
  }

  /** Stops the server regardless of holders (the explicit `ensure-* stop` command). */
  async stop(): Promise<StopOutcome> {
    await mkdir(this.stateDir, { recursive: true });
    return withLock(this.lockPath, async () => {
      const holders = await this.liveLeaseHolders();
      const stopped = await this.stopRecordedInstance();
      await rm(this.leasesDir, { recursive: true, force: true });
      await rm(this.pinPath, { force: true });
      return { stopped, interruptedHolders: holders };
    });
  }

  /** The running server, if any, without starting or holding it. */
  async status(): Promise<
    { instance: ServiceInstance<Endpoint>; holders: number[]; pinned: boolean } | undefined
  > {
    await mkdir(this.stateDir, { recursive: true });
    return withLock(this.lockPath, async () => {
      const instance = await this.runningInstance();
      if (instance === undefined) return undefined;
      return { instance, holders: await this.liveLeaseHolders(), pinned: await this.isPinned() };
    });
  }

  private async releaseLease(leasePath: string): Promise<void> {
    await withLock(this.lockPath, async () => {
      await rm(leasePath, { force: true });
      if ((await this.liveLeaseHolders()).length === 0 && !(await this.isPinned())) {
        await this.stopRecordedInstance();
      }
    });
  }

  /** The recorded server if it is still ours and answering; otherwise cleans up what is left of it. */
  private async runningInstance(): Promise<ServiceInstance<Endpoint> | undefined> {
    const instance = await readJsonIfPresent<ServiceInstance<Endpoint>>(this.statePath);
    if (instance === undefined) return undefined;
    if (
      (await isOwnProcess(instance.pid, instance.processMarker)) &&
      (await this.driver.isReady(instance.endpoint))
    ) {
      return instance;
    }
    await this.stopRecordedInstance();
    return undefined;
  }

  private async startInstance(): Promise<ServiceInstance<Endpoint>> {
    await this.stopRecordedInstance();
    await mkdir(this.workDir, { recursive: true });
    let instance: ServiceInstance<Endpoint>;
    try {
      instance = await this.driver.start(this.workDir, this.logFile, (pid, processMarker) =>
        writeJsonAtomically(this.spawnedPath, { pid, processMarker }),
      );
    } catch (error) {
      await this.stopRecordedInstance();
      throw error;
    }
    await writeJsonAtomically(this.statePath, instance);
    await rm(this.spawnedPath, { force: true });
    return instance;
  }

  /** Stops the recorded server, and one a crashed starter spawned but never saw ready; forgets both. */
  private async stopRecordedInstance(): Promise<boolean> {
    let stopped = false;
    for (const path of [this.statePath, this.spawnedPath]) {
      const recorded =
        await readJsonIfPresent<Pick<ServiceInstance<Endpoint>, 'pid' | 'processMarker'>>(path);
      if (recorded !== undefined && (await isOwnProcess(recorded.pid, recorded.processMarker))) {
        await terminateProcess(recorded.pid, this.driver.stopSignal, STOP_GRACE_MS);
        stopped = true;
      }
      await rm(path, { force: true });
    }
    await rm(this.workDir, { recursive: true, force: true });
    return stopped;
  }

  /** Pids holding a lease; lease files of processes that have died are deleted on the way. */
  private async liveLeaseHolders(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.leasesDir);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return [];
      throw error;
    }
    const holders: number[] = [];
    for (const name of names) {
      const pid = Number.parseInt(name, 10);
      if (Number.isInteger(pid) && (await isProcessAlive(pid))) {
        holders.push(pid);
      } else {
        await unlink(join(this.leasesDir, name)).catch(() => undefined);
      }
    }
    return holders;
  }

  private async isPinned(): Promise<boolean> {
    return fileExists(this.pinPath);
  }
}
