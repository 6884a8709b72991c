import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMigrations, migrationChecksum } from './migrations.js';

describe('loadMigrations', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mercato-db-load-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads NNN_name.sql files in version order and ignores other files', async () => {
    await writeFile(join(dir, '010_add_index.sql'), 'CREATE INDEX i ON t (x);');
    await writeFile(join(dir, '002_create_t.sql'), 'CREATE TABLE t (x int);');
    await writeFile(join(dir, 'README.md'), '# migrations');

    const migrations = await loadMigrations(dir);

    expect(migrations).toEqual([
      { version: 2, name: 'create_t', sql: 'CREATE TABLE t (x int);' },
      { version: 10, name: 'add_index', sql: 'CREATE INDEX i ON t (x);' },
    ]);
  });

  it('accepts a file: URL for the directory', async () => {
    await writeFile(join(dir, '001_init.sql'), 'SELECT 1;');

    await expect(loadMigrations(pathToFileURL(`${dir}/`))).resolves.toEqual([
      { version: 1, name: 'init', sql: 'SELECT 1;' },
    ]);
  });

  it('rejects a .sql file without a version prefix', async () => {
    await writeFile(join(dir, 'create_t.sql'), 'CREATE TABLE t (x int);');

    await expect(loadMigrations(dir)).rejects.toThrow('create_t.sql');
  });

  it('rejects two files with one version', async () => {
    await writeFile(join(dir, '001_create_t.sql'), 'CREATE TABLE t (x int);');
    await writeFile(join(dir, '1_create_u.sql'), 'CREATE TABLE u (x int);');

    await expect(loadMigrations(dir)).rejects.toThrow('share version 1');
  });

  it('rejects version zero', async () => {
    await writeFile(join(dir, '000_nothing.sql'), 'SELECT 1;');

    await expect(loadMigrations(dir)).rejects.toThrow('versions are positive integers');
  });
});

describe('migrationChecksum', () => {
  it('changes with the SQL but not with its line endings', () => {
    const unix = migrationChecksum('CREATE TABLE t (x int);\nCREATE INDEX i ON t (x);\n');

    expect(migrationChecksum('CREATE TABLE t (x int);\r\nCREATE INDEX i ON t (x);\r\n')).toBe(unix);
    expect(migrationChecksum('CREATE TABLE t (y int);\nCREATE INDEX i ON t (y);\n')).not.toBe(unix);
    expect(unix).toMatch(/^[0-9a-f]{64}$/);
  });
});
