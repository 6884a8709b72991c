import { join } from 'node:path';
import { readHarnessEnvironment } from './env.js';
import { type HoldKind } from './shared-service.js';

/** Where a server came from: an address given in the environment, Docker Compose, or a process the harness runs. */
export type InfraSource = 'environment' | 'docker' | 'harness';

/** Options every `acquire*` function accepts. */
export interface AcquireOptions {
  /** Directory for this server's pid, port, leases, data and log (default `<MERCATO_HARNESS_STATE_DIR>/<service>`). */
  readonly stateDir?: string;
  /** `'pin'` keeps a server the harness starts running after this process exits, until `ensure-* stop`. Default `'lease'`. */
  readonly hold?: HoldKind;
  /** Receives progress and fall-back notes meant for people (the bins print them on stderr). */
  readonly log?: (message: string) => void;
}

/** The state directory of one service, honouring an explicit override. */
export function serviceStateDir(service: string, override: string | undefined): string {
  return override ?? join(readHarnessEnvironment().stateDir, service);
}

/** A log function that drops everything. */
export const silent = (): void => undefined;

/** `download 41.2 s, format 2.9 s, start 6.1 s` from per-phase milliseconds. */
export function formatTimings(timings: Readonly<Record<string, number>>): string {
  return Object.entries(timings)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');
}
