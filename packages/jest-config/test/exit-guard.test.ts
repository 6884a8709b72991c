import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { createJestConfig } from '../index.js';

const require = createRequire(import.meta.url);
const jestBin = require.resolve('jest/bin/jest');
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const guard = fileURLToPath(new URL('../exit-guard.js', import.meta.url));

/** Runs Jest on one fixture file, as a package's `pnpm test` would, and waits for it to exit. */
function runJest(fixture: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        '--disable-warning=ExperimentalWarning',
        jestBin,
        '--config',
        `${fixtures}jest.config.js`,
        '--ci',
        `${fixture}\\.fixture\\.ts$`,
      ],
      { cwd: fixtures, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the exit guard every package gets from the preset', () => {
  it('is one of the preset reporters', () => {
    expect(createJestConfig().reporters).toContainEqual([guard, {}]);
  });

  it('leaves a run that cleans up alone: it exits 0 without a word from the guard', async () => {
    const run = await runJest('tidy');

    expect(run.output).toContain('1 passed');
    expect(run.output).not.toContain('[exit-guard]');
    expect(run.code).toBe(0);
  });

  it('ends a passing run that leaves a server open with exit code 1 and says why', async () => {
    const run = await runJest('leaky');

    expect(run.output).toContain('1 passed');
    expect(run.output).toContain('[exit-guard] Jest was still running 1 s after the last test:');
    expect(run.output).toContain('--detectOpenHandles');
    expect(run.code).toBe(1);
  });

  it('ends a run whose beforeAll failed half-way, instead of hanging on what it started', async () => {
    const run = await runJest('failed-start');

    expect(run.output).toContain('the second server failed to start');
    expect(run.output).toContain(
      '[exit-guard] Jest was still running 1 s after the last test (the run had failures)',
    );
    expect(run.code).toBe(1);
  });
});
