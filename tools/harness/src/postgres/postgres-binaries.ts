import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../processes.js';

/** Version-numbered install roots of common packagings, newest version wins: Debian/Ubuntu, PGDG RPMs, Homebrew. */
const VERSIONED_INSTALLS: ReadonlyArray<{
  parent: string;
  pattern: RegExp;
  binDir: (name: string) => string;
}> = [
  {
    parent: '/usr/lib/postgresql',
    pattern: /^\d+(\.\d+)?$/,
    binDir: (name) => join('/usr/lib/postgresql', name, 'bin'),
  },
  { parent: '/usr', pattern: /^pgsql-\d+(\.\d+)?$/, binDir: (name) => join('/usr', name, 'bin') },
  {
    parent: '/opt/homebrew/opt',
    pattern: /^postgresql@\d+$/,
    binDir: (name) => join('/opt/homebrew/opt', name, 'bin'),
  },
  {
    parent: '/usr/local/opt',
    pattern: /^postgresql@\d+$/,
    binDir: (name) => join('/usr/local/opt', name, 'bin'),
  },
];
const UNVERSIONED_BIN_DIRS = ['/usr/local/pgsql/bin', '/usr/local/bin', '/usr/bin'];

/**
 * The directory holding the PostgreSQL server programs (`initdb`, `postgres`, `pg_ctl`): the one
 * `pg_config --bindir` names, else the newest of the usual package locations.
 */
export async function findPostgresBinDir(): Promise<string> {
  const candidates: string[] = [];
  const reported = await runCommand('pg_config', ['--bindir'], { timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  if (reported?.trim()) candidates.push(reported.trim());
  for (const install of VERSIONED_INSTALLS) {
    const names = await readdir(install.parent).catch(() => [] as string[]);
    candidates.push(
      ...newestVersionFirst(names.filter((name) => install.pattern.test(name))).map(install.binDir),
    );
  }
  candidates.push(...UNVERSIONED_BIN_DIRS);
  for (const dir of candidates) {
    if ((await isExecutable(join(dir, 'initdb'))) && (await isExecutable(join(dir, 'postgres'))))
      return dir;
  }
  throw new Error(
    'PostgreSQL server programs (initdb, postgres) were not found (looked in: ' +
      `${candidates.join(', ')}). Install the PostgreSQL server or set MERCATO_TEST_POSTGRES_URL.`,
  );
}

/** Sorts names such as `9.6`, `15`, `pgsql-16`, `postgresql@14` by their version number, newest first. */
export function newestVersionFirst(names: readonly string[]): string[] {
  const version = (name: string) =>
    (/(\d+(?:\.\d+)?)/.exec(name)?.[1] ?? '0').split('.').map(Number);
  return [...names].sort((left, right) => {
    const [a, b] = [version(left), version(right)];
    return (b[0] ?? 0) - (a[0] ?? 0) || (b[1] ?? 0) - (a[1] ?? 0);
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
