import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The message a benchmark target sends its parent when it serves. */
export interface TargetReady {
  type: 'ready';
  url: string;
}

/** The settings a target process was started with (JSON in its first argument). */
export function targetSettings<T>(): T {
  const [, , json] = process.argv;
  if (!json) throw new Error('a benchmark target expects its settings as JSON in argv[2]');
  return JSON.parse(json) as T;
}

/**
 * Listens on a free loopback port, tells the parent the URL over IPC, and on SIGTERM runs `stop`
 * and exits: the life of every benchmark target process.
 */
export async function serveTarget(server: Server, stop: () => Promise<void>): Promise<void> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
  process.send!({ type: 'ready', url: `http://127.0.0.1:${port}` } satisfies TargetReady);
}
