import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findJaeger } from './jaeger.js';

describe('findJaeger', () => {
  let root: string;
  const executable = async (path: string, mode = 0o755) => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '#!/bin/sh\n');
    await chmod(path, mode);
    return path;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'find-jaeger-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('takes JAEGER_BINARY first, then the one jaeger:install built, then the PATH', async () => {
    const dataDir = join(root, 'data');
    const onPath = await executable(join(root, 'path-bin', 'jaeger'));
    const env = { PATH: `${join(root, 'empty')}:${join(root, 'path-bin')}` };
    expect(await findJaeger(dataDir, env)).toBe(onPath);

    const installed = await executable(join(dataDir, 'bin', 'jaeger'));
    expect(await findJaeger(dataDir, env)).toBe(installed);

    const chosen = await executable(join(root, 'chosen', 'jaeger-v2'));
    expect(await findJaeger(dataDir, { ...env, JAEGER_BINARY: chosen })).toBe(chosen);
  });

  it('skips files that cannot be executed and finds nothing where there is nothing', async () => {
    await executable(join(root, 'bin', 'jaeger'), 0o644);
    expect(await findJaeger(join(root, 'data'), { PATH: join(root, 'bin') })).toBeUndefined();
    expect(await findJaeger(join(root, 'data'), {})).toBeUndefined();
  });
});
