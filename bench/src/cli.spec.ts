import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { benchOptions, freeName } from './cli.js';

describe('freeName', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('never picks the name of a result already there, .json or .md', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    dirs.push(dir);
    expect(await freeName(dir, '2026-12-04-x')).toBe('2026-12-04-x');
    await writeFile(join(dir, '2026-12-04-x.json'), '{}');
    expect(await freeName(dir, '2026-12-04-x')).toBe('2026-12-04-x-2');
    await writeFile(join(dir, '2026-12-04-x-2.md'), '#');
    expect(await freeName(dir, '2026-12-04-x')).toBe('2026-12-04-x-3');
  });
});

describe('benchOptions', () => {
  it('runs part (k) once in a --quick run and as often as the other rounds in a full one', () => {
    const quick = benchOptions(true, () => undefined);
    const full = benchOptions(false, () => undefined);
    expect(quick.tracingRounds).toBe(1);
    expect(full.tracingRounds).toBe(full.observabilityRounds);
  });
});
