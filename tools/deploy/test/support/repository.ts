import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

/** The repository root (tools/deploy/test/support → four levels up). */
export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The services that ship as images, by the directory name under services/. */
export const SERVICES = ['gateway', 'product', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Absolute path of a file given relative to the repository root. */
export const repositoryPath = (...segments: string[]): string =>
  resolve(REPOSITORY_ROOT, ...segments);

/** The text of a repository file. */
export const readRepositoryFile = (...segments: string[]): string =>
  readFileSync(repositoryPath(...segments), 'utf8');

/** Parses a repository YAML file (merge keys resolved, as Docker Compose does). */
export function readYaml<T = unknown>(...segments: string[]): T {
  return parse(readRepositoryFile(...segments), { merge: true }) as T;
}

const execFileAsync = promisify(execFile);

/** Output of a command that exited 0. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command and resolves with its output; rejects with the command line, exit code and
 * both outputs when it fails — including when the program is not installed.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CommandOutput> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd: options.cwd ?? REPOSITORY_ROOT,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return { stdout, stderr };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    throw new Error(
      [
        `${command} ${args.join(' ')} failed: ${failure.message}`,
        failure.stdout ? `stdout:\n${failure.stdout}` : '',
        failure.stderr ? `stderr:\n${failure.stderr}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      { cause: error },
    );
  }
}

/** The `ENV NODE_OPTIONS` of a service's image (its Dockerfile), or undefined if it sets none. */
export function imageNodeOptions(service: ServiceName): string | undefined {
  return /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(
    readRepositoryFile('services', service, 'Dockerfile'),
  )?.[1];
}
