import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs an ES module in a fresh Node.js, from this package (so it resolves @nestjs/common). */
async function runModule(source: string): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return out;
}

// Counts the DateTimeFormats made, then does what the test names; prints the count.
const COUNTING = `
  let made = 0;
  const Original = Intl.DateTimeFormat;
  Intl.DateTimeFormat = function (...args) { made += 1; return new Original(...args); };
`;

describe('@nestjs/common as patched (docs/decisions.md D49)', () => {
  it('makes no Intl.DateTimeFormat when imported (ICU locale data stays unloaded)', async () => {
    const made = await runModule(
      `${COUNTING} await import('@nestjs/common'); process.stdout.write(String(made));`,
    );
    expect(made).toBe('0');
  });

  it("still stamps Nest's own console logger lines with the local time", async () => {
    const out = await runModule(
      `${COUNTING}
      const { ConsoleLogger } = await import('@nestjs/common');
      const lines = [];
      const logger = new ConsoleLogger('Test');
      logger.printMessages = function (messages, context, level) {
        lines.push(this.getTimestamp());
      };
      logger.log('hello');
      logger.log('again');
      process.stdout.write(JSON.stringify({ made, lines }));`,
    );
    const { made, lines } = JSON.parse(out) as { made: number; lines: string[] };
    expect(made).toBe(1);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/\d{2}\/\d{2}\/\d{4}, \d{1,2}:\d{2}:\d{2}/);
  });
});
