import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
export async function runSchemathesis(args: readonly string[]): Promise<SchemathesisRun> {
  if (!existsSync(SCHEMATHESIS)) {
    throw new Error(
      `Schemathesis is not installed at ${SCHEMATHESIS}; run scripts/ensure-schemathesis.sh`,
    );
  }
  // Hypothesis and Schemathesis write caches into the working directory; keep them out of the repo.
  const workDirectory = await mkdtemp(join(tmpdir(), 'schemathesis-'));
  try {
    return await spawnSchemathesis(args, workDirectory);
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

function spawnSchemathesis(args: readonly string[], cwd: string): Promise<SchemathesisRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, ['run', ...args], {
      cwd,
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
