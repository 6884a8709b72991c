import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileExists } from './files.js';

/** The monorepo root (the directory holding pnpm-workspace.yaml) above `startDir`, if any. */
export async function findRepositoryRoot(
  startDir = dirname(fileURLToPath(import.meta.url)),
): Promise<string | undefined> {
  for (let dir = startDir; ; dir = dirname(dir)) {
    if (await fileExists(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
