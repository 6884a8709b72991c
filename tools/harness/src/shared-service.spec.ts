import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findFreePort, isPortOpen, isProcessAlive } from './processes.js';
import { type ServiceDriver, SharedService } from './shared-service.js';

interface TcpEndpoint {
  readonly port: number;
}

/** A real server process (a tiny TCP server in a child Node.js) standing in for Kafka or PostgreSQL. */
function tcpServerDriver(starts: { count: number }, failStart = false): ServiceDriver<TcpEndpoint> {
  return {
    name: 'tcp',
    stopSignal: 'SIGTERM',
    isReady: ({ port }) => isPortOpen(port),
    async start(workDir) {
      starts.count += 1;
      if (failStart) throw new Error('the server would not start');
      const port = await findFreePort();
      const script = join(workDir, 'server.cjs');
      await writeFile(
        script,
        `require('node:net').createServer((s) => s.end()).listen(${port}, '127.0.0.1');`,
      );
      const child = spawn(process.execPath, [script], { detached: true, stdio: 'ignore' });
      child.unref();
      while (!(await isPortOpen(port))) await sleep(20);
      return {
        pid: child.pid ?? 0,
        endpoint: { port },
        processMarker: script,
        startedAt: new Date().toISOString(),
        startupTimings: {},
      };
    },
  };
}

describe('SharedService', () => {
  let stateDir: string;
  let starts: { count: number };
  let service: SharedService<TcpEndpoint>;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'harness-shared-'));
    starts = { count: 0 };
    service = new SharedService(tcpServerDriver(starts), stateDir);
  });
  afterEach(async () => {
    await service.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('starts one server for many simultaneous holders and stops it with the last release', async () => {
    const holds = await Promise.all([1, 2, 3, 4].map(() => service.acquire()));
    const [first] = holds;
    if (!first) throw new Error('no hold');

    expect(starts.count).toBe(1);
    expect(new Set(holds.map((hold) => hold.endpoint.port)).size).toBe(1);
    expect(holds.filter((hold) => hold.started)).toHaveLength(1);

    for (const hold of holds.slice(1)) await hold.release();
    expect(await isPortOpen(first.endpoint.port)).toBe(true);

    await first.release();
    expect(await isProcessAlive(first.instance.pid)).toBe(false);
    expect(await service.status()).toBeUndefined();
  });

  it('ignores leases of processes that died and honours leases of live ones', async () => {
    const hold = await service.acquire();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(stateDir, 'leases', `${deadPid}-crashed-holder`), '');
    const liveHolder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      stdio: 'ignore',
    });
    const livePid = liveHolder.pid ?? 0;
    await writeFile(join(stateDir, 'leases', `${livePid}-other-test-run`), '');

    await hold.release();
    expect(await isPortOpen(hold.endpoint.port)).toBe(true);
    expect((await service.status())?.holders).toEqual([livePid]);

    liveHolder.kill('SIGKILL');
    await new Promise((resolve) => liveHolder.once('exit', resolve));
    const lastHold = await service.acquire();
    expect(lastHold.started).toBe(false);
    await lastHold.release();
    expect(await isProcessAlive(hold.instance.pid)).toBe(false);
  });

  it('keeps a pinned server after its leases end, until stop()', async () => {
    const pin = await service.acquire('pin');
    const lease = await service.acquire();
    await lease.release();
    await pin.release();
    expect(await isPortOpen(pin.endpoint.port)).toBe(true);

    const outcome = await service.stop();
    expect(outcome).toEqual({ stopped: true, interruptedHolders: [] });
    expect(await isProcessAlive(pin.instance.pid)).toBe(false);
  });

  it('reports the holders that stop() cut off', async () => {
    const lease = await service.acquire();

    expect(await service.stop()).toEqual({ stopped: true, interruptedHolders: [process.pid] });
    expect(await isProcessAlive(lease.instance.pid)).toBe(false);
    await lease.release();
  });

  it('starts a new server when the recorded one has died', async () => {
    const first = await service.acquire();
    process.kill(first.instance.pid, 'SIGKILL');
    while (await isProcessAlive(first.instance.pid)) await sleep(20);

    const second = await service.acquire();
    expect(second.started).toBe(true);
    expect(second.instance.pid).not.toBe(first.instance.pid);
    expect(await isPortOpen(second.endpoint.port)).toBe(true);
    await first.release();
    await second.release();
    expect(await isProcessAlive(second.instance.pid)).toBe(false);
  });

  it('stops a server whose starter died before it was ready', async () => {
    const workDir = join(stateDir, 'run');
    await mkdir(workDir, { recursive: true });
    const script = join(workDir, 'orphan.cjs');
    await writeFile(script, 'setInterval(() => {}, 1_000);');
    const orphan = spawn(process.execPath, [script], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const orphanPid = orphan.pid ?? 0;
    await writeFile(
      join(stateDir, 'spawned.json'),
      JSON.stringify({ pid: orphanPid, processMarker: script }),
    );

    const hold = await service.acquire();

    expect(hold.started).toBe(true);
    expect(await isProcessAlive(orphanPid)).toBe(false);
    await hold.release();
  });

  it('leaves nothing recorded when the server fails to start', async () => {
    const failing = new SharedService(tcpServerDriver(starts, true), stateDir);

    await expect(failing.acquire()).rejects.toThrow('the server would not start');
    expect(await failing.status()).toBeUndefined();
  });
});
