import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// The built module, run by a real Node.js with V8's gc exposed (as the images run the services).
const REDUCER = fileURLToPath(new URL('../dist/memory-reducer.js', import.meta.url));

/**
 * Runs a child that grows V8's young generation to its 8 MiB semi-spaces (as start-up or a burst of
 * load does), then either idles or keeps busy for `seconds` with the reducer looking every 200 ms,
 * and reports the young generation's committed size before and after and what the reducer did.
 */
async function run(mode: 'idle' | 'busy', exposeGc = true) {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { startMemoryReducer } from ${JSON.stringify(REDUCER)};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    let keep = [];
    for (let i = 0; i < 3e6; i += 1) { keep.push({ i, s: 'x' + i }); if (keep.length > 3e5) keep = []; }
    keep = [];
    const before = young();
    const reductions = [];
    const reducer = startMemoryReducer({ intervalMs: 200, onReduced: (r) => reductions.push(r) });
    const until = Date.now() + 1500;
    const report = () => {
      reducer.stop();
      process.stdout.write(JSON.stringify({ active: reducer.active, before, after: young(), reductions: reductions.length }));
    };
    if (${JSON.stringify(mode)} === 'busy') {
      // Busy: the event loop spends most of every interval working.
      const spin = () => { const end = Date.now() + 45; while (Date.now() < end); if (Date.now() < until) setTimeout(spin, 5); else report(); };
      spin();
    } else setTimeout(report, 1500);
  `;
  const flags = ['--max-semi-space-size=8', ...(exposeGc ? ['--expose-gc'] : [])];
  const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return JSON.parse(out) as { active: boolean; before: number; after: number; reductions: number };
}

const MIB = 1024 * 1024;

describe('the memory reducer on a real V8', () => {
  it('gives the young generation back once the process is quiet, once', async () => {
    const result = await run('idle');
    expect(result.active).toBe(true);
    expect(result.before).toBeGreaterThanOrEqual(8 * MIB);
    expect(result.reductions).toBe(1);
    expect(result.after).toBeLessThan(result.before / 4);
  });

  it('leaves a busy process alone', async () => {
    const result = await run('busy');
    expect(result.reductions).toBe(0);
    expect(result.after).toBe(result.before);
  });

  it('does nothing without --expose-gc', async () => {
    const result = await run('idle', false);
    expect(result).toMatchObject({ active: false, reductions: 0 });
    expect(result.after).toBe(result.before);
  });
});
