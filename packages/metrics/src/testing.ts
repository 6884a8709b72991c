import { spawn } from 'node:child_process';

/** Output and exit code of one promtool run. */
export interface PromtoolResult {
  exitCode: number | null;
  output: string;
}

/**
 * Lints an exposition with Prometheus's own `promtool check metrics` (Debian package `prometheus`).
 * A missing promtool rejects: it is a required test dependency, not an optional one.
 */
export function promtoolCheckMetrics(exposition: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) =>
      reject(
        new Error(`Cannot run promtool (install Debian's "prometheus" package): ${error.message}`),
      ),
    );
    child.once('close', (exitCode) => resolve({ exitCode, output }));
    child.stdin.end(exposition);
  });
}

/**
 * An exposition's sample lines, each line's labels sorted and the lines sorted, so that two
 * expositions of the same samples compare equal whatever order they were written in.
 */
export function sortedSamples(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (.+)$/.exec(line)!;
      const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
      return `${match[1]}{${labels}} ${match[3]}`;
    })
    .sort();
}
