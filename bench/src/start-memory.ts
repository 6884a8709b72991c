// Part (l): what `pnpm start` holds. The whole shop launched as the command launches it on a fresh
// clone — a broker of its own from the harness, no trace backend, a new data directory — once with
// the services' data in the shop's own PostgreSQL server and once with PGlite embedded in each
// service, taking turns; each process's RSS and PSS at start-up (the banner's figure) and again
// after an idle spell.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchShop, type ProcessMemory } from '@mercato/shop';

export const START_MEMORY_VARIANTS = [
  { id: 'postgres', title: "the shop's own PostgreSQL server (pnpm start)" },
  { id: 'pglite', title: 'PGlite in each service (pnpm start --pglite)' },
] as const;

export type StartMemoryVariantId = (typeof START_MEMORY_VARIANTS)[number]['id'];

/** One launch: the processes at start-up and after `idleSeconds`. */
export interface StartMemoryRun {
  readyMs: number;
  atStart: ProcessMemory[];
  idle: ProcessMemory[];
  totals: { atStartRss: number; idleRss: number; idlePss: number };
}

export interface StartMemoryResult {
  rounds: number;
  idleSeconds: number;
  runs: Record<StartMemoryVariantId, StartMemoryRun[]>;
  /** The median launch of each variant, by idle RSS in all. */
  median: Record<StartMemoryVariantId, StartMemoryRun>;
  /** Idle RSS in all: the shop's PostgreSQL ÷ PGlite. */
  postgresOverPglite: number;
}

export interface StartMemoryContext {
  rounds: number;
  idleSeconds: number;
  log: (line: string) => void;
}

const total = (processes: readonly ProcessMemory[], field: 'rssBytes' | 'pssBytes') =>
  processes.reduce((sum, process) => sum + (process[field] ?? 0), 0);

/** Runs part (l): `rounds` turns of each variant and the medians. */
export async function measureStartMemory(context: StartMemoryContext): Promise<StartMemoryResult> {
  const runs: Record<StartMemoryVariantId, StartMemoryRun[]> = { postgres: [], pglite: [] };
  for (let round = 0; round < context.rounds; round += 1) {
    for (const variant of START_MEMORY_VARIANTS) {
      const dataDir = await mkdtemp(join(tmpdir(), 'mercato-bench-start-'));
      // The shop's PostgreSQL server may run as the postgres OS user, which must reach its data.
      await chmod(dataDir, 0o755);
      const began = Date.now();
      const shop = await launchShop({
        ports: 'free',
        dataDir,
        database: variant.id,
        // As on a fresh clone: no Jaeger built, no OTLP endpoint.
        tracing: 'off',
        logLevel: 'info',
      });
      try {
        const readyMs = Date.now() - began;
        const atStart = await shop.memory();
        context.log(
          `(l) ${variant.title}, round ${round + 1}: ready in ${(readyMs / 1000).toFixed(1)} s, ` +
            `${Math.round(total(atStart, 'rssBytes') / 2 ** 20)} MiB RSS; idle ${context.idleSeconds} s…`,
        );
        await sleep(context.idleSeconds * 1000);
        const idle = await shop.memory();
        runs[variant.id].push({
          readyMs,
          atStart,
          idle,
          totals: {
            atStartRss: total(atStart, 'rssBytes'),
            idleRss: total(idle, 'rssBytes'),
            idlePss: total(idle, 'pssBytes'),
          },
        });
      } finally {
        await shop.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
  const median = (variant: StartMemoryVariantId) => {
    const sorted = [...runs[variant]].sort((a, b) => a.totals.idleRss - b.totals.idleRss);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  const medians = { postgres: median('postgres'), pglite: median('pglite') };
  return {
    rounds: context.rounds,
    idleSeconds: context.idleSeconds,
    runs,
    median: medians,
    postgresOverPglite: medians.postgres.totals.idleRss / medians.pglite.totals.idleRss,
  };
}
