import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

/** The machine a benchmark ran on: figures only compare on the same one. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  /** One-minute load average when the run started: above the core count, others were busy too. */
  loadAverage: number;
}

/** Describes this machine. */
export function describeMachine(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: loadavg()[0]!,
  };
}

/** A file-name-safe name of the machine, e.g. `2-core-amd-epyc-7b13`. */
export function machineSlug(machine: MachineInfo): string {
  const model = machine.cpuModel
    .toLowerCase()
    .replace(/\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$|\d+-core/g, ' ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${machine.cores}-core-${model || 'cpu'}`;
}

/** The commit the benchmark ran on (with `-dirty` for uncommitted changes), if git can tell. */
export function currentCommit(cwd: string): string | undefined {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const commit = run(['rev-parse', '--short', 'HEAD']);
    return run(['status', '--porcelain', '--untracked-files=no']) ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}
