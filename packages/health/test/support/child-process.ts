import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One JSON log line printed by a fixture process. */
export interface FixtureLogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** A fixture running as a real Node process, with its parsed stdout log lines. */
export interface RunningFixture {
  child: ChildProcess;
  lines: FixtureLogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(predicate: (line: FixtureLogLine) => boolean): Promise<FixtureLogLine>;
}

const builtPackage = new URL('../../dist/index.js', import.meta.url);

/** Starts `node <fixture> ...args` with the Node running the tests (Node 24 strips the TypeScript types). */
export function startFixture(fixturePath: string, args: string[] = []): RunningFixture {
  if (!existsSync(builtPackage)) {
    throw new Error(
      'The fixtures run on the built package: run `pnpm --filter @mercato/health build` first',
    );
  }
  const child = spawn(process.execPath, [fixturePath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: FixtureLogLine[] = [];
  const waiters = new Set<{
    predicate: (line: FixtureLogLine) => boolean;
    resolve: (line: FixtureLogLine) => void;
  }>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as FixtureLogLine;
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.predicate(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const waitForLog = (predicate: (line: FixtureLogLine) => boolean): Promise<FixtureLogLine> => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.add({ predicate, resolve });
      void exited.then(({ code, signal }) =>
        reject(
          new Error(
            `Fixture exited (code ${code}, signal ${signal}) before the expected log line. stderr: ${stderr}`,
          ),
        ),
      );
    });
  };

  return { child, lines, exited, waitForLog };
}

/** Kills a fixture that a failed test left running. */
export async function stopFixture(fixture: RunningFixture | undefined): Promise<void> {
  if (!fixture || fixture.child.exitCode !== null || fixture.child.signalCode !== null) return;
  fixture.child.kill('SIGKILL');
  await fixture.exited;
}
