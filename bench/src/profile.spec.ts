import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { profileDirectory } from './profile.js';

describe('profileDirectory', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const directory of made.splice(0)) await rm(directory, { recursive: true, force: true });
  });

  it('gives each run with the same --out a directory of its own there, beside the earlier ones', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-profile-out-'));
    made.push(out);
    const first = await profileDirectory(out);
    await writeFile(join(first, 'CPU.1.cpuprofile'), '{}');
    const second = await profileDirectory(out);

    expect(dirname(first)).toBe(out);
    expect(dirname(second)).toBe(out);
    expect(second).not.toBe(first);
    expect(await readdir(second)).toEqual([]);
    expect(await readdir(first)).toEqual(['CPU.1.cpuprofile']);
  });

  it('creates an --out directory that does not exist yet', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bench-profile-parent-'));
    made.push(parent);
    const directory = await profileDirectory(join(parent, 'profiles', 'today'));

    expect(dirname(directory)).toBe(join(parent, 'profiles', 'today'));
  });

  it('uses a temporary directory without --out', async () => {
    const directory = await profileDirectory(undefined);
    made.push(directory);

    expect(directory.startsWith(join(tmpdir(), 'mercato-profile-'))).toBe(true);
  });
});
