import { randomUUID } from 'node:crypto';
import { access, open, readFile, rename, writeFile } from 'node:fs/promises';
import { errorMessage, isErrorCode } from './errors.js';

/** Writes JSON so that readers see either the old or the new document, never half of one. */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}

/** Reads a JSON document, or `undefined` when the file does not exist. */
export async function readJsonIfPresent<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** The last `lineCount` lines of a (log) file; an explanatory line when it cannot be read. */
export async function tailFile(path: string, lineCount = 40): Promise<string> {
  const maxBytes = 64 * 1024;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lineCount).join('\n');
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `(could not read ${path}: ${errorMessage(error)})`;
  }
}

/** True when something exists at `path`. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
