import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { withClient } from '../src/postgres/databases.js';

/** Start-up of a real broker or server (a first run also downloads Kafka through Maven). */
export const START_TIMEOUT_MS = 10 * 60_000;

/** Pids of the processes whose command line mentions `text` (a state directory, a data path). */
export async function processesMentioning(text: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Collects what a test wrote to stdout/stderr through `runEnsureCommand`. */
export function textBuffer(): { write(text: string): boolean; text(): string } {
  const chunks: string[] = [];
  return {
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(''),
  };
}

/** Runs one statement on a connection of its own and returns its rows. */
export const query = <T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> => withClient(url, async (client) => (await client.query<T>(sql, values)).rows);
