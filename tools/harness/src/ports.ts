import { randomInt } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorCode } from './errors.js';
import { isProcessAlive } from './processes.js';

/** Where reservations live unless a caller names another directory (tests do). */
export const PORT_RESERVATIONS_DIR = join(tmpdir(), 'mercato-ports');

/** Lowest port handed out: above the well-known and registered ports the shop and its tools use. */
const LOWEST_PORT = 20_000;
/** The Linux default of `net.ipv4.ip_local_port_range`, used where it cannot be read. */
const DEFAULT_EPHEMERAL_RANGE: readonly [number, number] = [32_768, 60_999];
const ATTEMPTS = 200;

/** Options of {@link reservePort}; the defaults suit every caller but tests. */
export interface ReservePortOptions {
  /** Where the reservation files are kept (default {@link PORT_RESERVATIONS_DIR}). */
  directory?: string;
  /** The ports to choose from, both ends included (default: 20000 up to the ephemeral range). */
  range?: readonly [number, number];
}

/**
 * A TCP port on 127.0.0.1 for a server that will bind it a moment later — a child process still
 * starting, or a server stopped and started again on the same number (a rolling restart, a broker
 * outage).
 *
 * A port the OS assigns (`listen(0)`) and that is closed again is not held by anyone until that
 * server binds it. On a busy machine, where other suites start servers and open connections, the
 * OS can hand the same number to somebody else in between. The server then fails with EADDRINUSE,
 * and a readiness probe may even be answered by the stranger. So this reserves the port in two
 * ways:
 * - **below the OS's ephemeral range** (`/proc/sys/net/ipv4/ip_local_port_range`), which `listen(0)`
 *   and outgoing connections draw from, so the OS never hands it out on its own;
 * - **in a reservation file** (one per port, holding this process's pid, created exclusively), so
 *   two launchers running side by side never pick the same port. A reservation whose process has
 *   exited is taken over.
 *
 * The port is also checked to be free now. The reservation lasts until {@link releasePort} or until
 * this process exits.
 */
export async function reservePort(options: ReservePortOptions = {}): Promise<number> {
  const directory = options.directory ?? PORT_RESERVATIONS_DIR;
  const [low, high] = options.range ?? (await belowEphemeralRange());
  if (high < low) throw new RangeError(`no ports to reserve in ${low}–${high}`);
  await mkdir(directory, { recursive: true });
  const size = high - low + 1;
  // Start anywhere, then walk the range: random starts keep parallel launchers apart, the walk
  // makes a small range (a test's) deterministic.
  const start = randomInt(size);
  for (let step = 0; step < Math.min(size, ATTEMPTS); step += 1) {
    const port = low + ((start + step) % size);
    if (!(await claim(directory, port))) continue;
    if (await canBind(port)) return port;
    await unlink(join(directory, String(port))).catch(() => undefined);
  }
  throw new Error(`no free port to reserve in ${low}–${high} (reservations in ${directory})`);
}

/** Ends a reservation of this process (a server that will not be started again). */
export async function releasePort(
  port: number,
  directory: string = PORT_RESERVATIONS_DIR,
): Promise<void> {
  const file = join(directory, String(port));
  if ((await reservationOwner(file)) === process.pid) await unlink(file).catch(() => undefined);
}

/** The ports from 20000 up to just below the ephemeral range (the whole range above it if none). */
async function belowEphemeralRange(): Promise<[number, number]> {
  const [ephemeralLow] = await ephemeralRange();
  return ephemeralLow - 1 >= LOWEST_PORT ? [LOWEST_PORT, ephemeralLow - 1] : [LOWEST_PORT, 65_535];
}

async function ephemeralRange(): Promise<readonly [number, number]> {
  try {
    const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const [low, high] = text.trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: the default.
  }
  return DEFAULT_EPHEMERAL_RANGE;
}

/** Creates the port's reservation file, taking over one whose process is gone; false if held. */
async function claim(directory: string, port: number): Promise<boolean> {
  const file = join(directory, String(port));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    const owner = await reservationOwner(file);
    // Being written this instant (empty), or held by a live process: not ours.
    if (owner === undefined || owner === process.pid || (await isProcessAlive(owner))) return false;
    await unlink(file).catch(() => undefined);
  }
  return false;
}

async function reservationOwner(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a server can listen on 127.0.0.1:`port` now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      probe.close(() => resolve(true)),
    );
  });
}
