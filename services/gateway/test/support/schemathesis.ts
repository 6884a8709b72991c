import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Schemathesis CLI that scripts/ensure-schemathesis.sh installs at the repository root. */
export const SCHEMATHESIS = fileURLToPath(
  new URL('../../../../.venv-tools/bin/schemathesis', import.meta.url),
);

/** Output and exit code of one Schemathesis run. */
export interface SchemathesisRun {
  exitCode: number | null;
  output: string;
}

/** Runs `schemathesis run` with the given arguments; fails when the CLI is not installed. */
export function runSchemathesis(args: readonly string[]): Promise<SchemathesisRun> {
  if (!existsSync(SCHEMATHESIS)) {
    throw new Error(
      `Schemathesis is not installed at ${SCHEMATHESIS}; run scripts/ensure-schemathesis.sh`,
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, ['run', ...args], {
      env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output }));
  });
}
