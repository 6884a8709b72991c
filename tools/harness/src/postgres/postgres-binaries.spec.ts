import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { findPostgresBinDir, newestVersionFirst } from './postgres-binaries.js';

describe('newestVersionFirst', () => {
  it('orders install directories by version number, not alphabetically', () => {
    expect(newestVersionFirst(['9.6', '15', '10', '16'])).toEqual(['16', '15', '10', '9.6']);
    expect(newestVersionFirst(['postgresql@14', 'postgresql@17'])).toEqual([
      'postgresql@17',
      'postgresql@14',
    ]);
  });
});

describe('findPostgresBinDir', () => {
  it('finds the directory of the installed server programs', async () => {
    const binDir = await findPostgresBinDir();

    await expect(access(join(binDir, 'initdb'))).resolves.toBeUndefined();
    await expect(access(join(binDir, 'postgres'))).resolves.toBeUndefined();
  });
});
