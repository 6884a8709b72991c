import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { releasePort, reservePort } from './ports.js';
import { findFreePort } from './processes.js';

const listenOn = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('reservePort', () => {
  let directory: string;
  const servers: Server[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mercato-ports-test-'));
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
    await rm(directory, { recursive: true, force: true });
  });

  it('hands out a port below the ephemeral range that a server can then bind', async () => {
    const [ephemeralLow] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    const port = await reservePort({ directory });
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(ephemeralLow!);
    servers.push(await listenOn(port));
    expect(await readFile(join(directory, String(port)), 'utf8')).toBe(String(process.pid));
  });

  it('never hands out one port twice while the reservation lasts, and again once released', async () => {
    const first = await findFreePort();
    const range = [first, first] as const;
    expect(await reservePort({ directory, range })).toBe(first);
    await expect(reservePort({ directory, range })).rejects.toThrow(/no free port to reserve/);
    await releasePort(first, directory);
    expect(await readdir(directory)).toEqual([]);
    expect(await reservePort({ directory, range })).toBe(first);
  });

  it('passes over a port something listens on', async () => {
    const server = await listenOn(0);
    servers.push(server);
    const port = (server.address() as { port: number }).port;
    await expect(reservePort({ directory, range: [port, port] })).rejects.toThrow(
      /no free port to reserve/,
    );
    // The failed claim leaves no reservation behind.
    expect(await readdir(directory)).toEqual([]);
  });

  it("passes over another live process's reservation and takes over one whose process exited", async () => {
    const port = await findFreePort();
    const range = [port, port] as const;
    await writeFile(join(directory, String(port)), String(process.ppid));
    await expect(reservePort({ directory, range })).rejects.toThrow(/no free port to reserve/);

    const child = spawn(process.execPath, ['-e', '']);
    const exited = await new Promise<number>((resolve) =>
      child.once('exit', () => resolve(child.pid!)),
    );
    await writeFile(join(directory, String(port)), String(exited));
    expect(await reservePort({ directory, range })).toBe(port);
    expect(await readFile(join(directory, String(port)), 'utf8')).toBe(String(process.pid));
  });

  it("leaves another process's reservation alone when asked to release it", async () => {
    const port = await findFreePort();
    await writeFile(join(directory, String(port)), String(process.ppid));
    await releasePort(port, directory);
    expect(await readdir(directory)).toEqual([String(port)]);
  });
});
