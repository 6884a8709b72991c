import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) that the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of a profile summary: a function or a package and its share of the samples. */
export interface ProfileRow {
  name: string;
  /** Share of all samples spent in this row's own code (self time). */
  selfShare: number;
}

/** What a CPU profile says: top functions by self time, and self time by package. */
export interface ProfileSummary {
  samples: number;
  durationMs: number;
  functions: ProfileRow[];
  packages: ProfileRow[];
}

/**
 * The package a frame belongs to: `pino` for node_modules/.pnpm/pino@…/node_modules/pino/…,
 * `@mercato/gateway` for the workspace's own code, `node:` for Node.js internals, and the
 * V8 pseudo-frames (`(garbage collector)`, `(program)`, `(idle)`) as they are.
 */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: (Node.js internals)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const workspace = /\/(services|packages|tools|bench|apps)\/([^/]+)\//.exec(url);
  return workspace ? `@mercato/${workspace[2]}` : url;
}

const short = (url: string) => {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const workspace = /\/((?:services|packages|tools|bench|apps)\/.*)$/.exec(url);
  return workspace ? workspace[1]! : url;
};

/** Summarises one `.cpuprofile`: self time per function and per package, largest first. */
export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfSamples = new Map<number, number>();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, count] of selfSamples) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.url
      ? `${frame.functionName || '(anonymous)'} ${short(frame.url)}:${frame.lineNumber + 1}`
      : frame.functionName;
    functions.set(name, (functions.get(name) ?? 0) + count);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + count);
  }
  const rows = (counts: Map<string, number>) =>
    [...counts]
      .sort((left, right) => right[1] - left[1])
      .slice(0, top)
      .map(([name, count]) => ({ name, selfShare: count / total }));
  return {
    samples: total,
    durationMs: profile.timeDeltas.reduce((sum, delta) => sum + delta, 0) / 1000,
    functions: rows(functions),
    packages: rows(packages),
  };
}

/** Reads and summarises the one `.cpuprofile` a process wrote into `directory`. */
export async function summariseProfileIn(directory: string, top?: number): Promise<ProfileSummary> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length !== 1)
    throw new Error(`expected one .cpuprofile in ${directory}, found ${files.length}`);
  const profile = JSON.parse(await readFile(join(directory, files[0]!), 'utf8')) as CpuProfile;
  return summariseProfile(profile, top);
}

/** A summary as markdown tables (functions, then packages). */
export function renderProfile(title: string, summary: ProfileSummary, rows = 15): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  const lines = [
    `### ${title}`,
    '',
    `${summary.samples.toLocaleString('en-US')} samples over ${(summary.durationMs / 1000).toFixed(1)} s.`,
    '',
    '| self | package |',
    '| ---: | --- |',
    ...summary.packages.slice(0, rows).map((row) => `| ${pct(row.selfShare)} | ${row.name} |`),
    '',
    '| self | function |',
    '| ---: | --- |',
    ...summary.functions
      .slice(0, rows)
      .map((row) => `| ${pct(row.selfShare)} | \`${row.name.replace(/\|/g, '\\|')}\` |`),
    '',
  ];
  return lines.join('\n');
}
