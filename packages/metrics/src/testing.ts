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
