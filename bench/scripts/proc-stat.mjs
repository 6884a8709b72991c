// What the CPU-time scripts beside the bench share: reading a process's or a thread's CPU time from
// /proc. Not a script of its own.
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in clock ticks of 1/100 s on Linux. */
export const TICKS_PER_SECOND = 100;

/**
 * utime + stime, in clock ticks, from a stat file — `/proc/<pid>/stat` for a process (all its
 * threads), `/proc/<pid>/task/<tid>/stat` for one thread — with the thread's name; undefined once
 * it is gone. The name is read between the first "(" and the last ")", as it may hold either.
 */
export function cpuTicks(statPath) {
  let stat;
  try {
    stat = readFileSync(statPath, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}
