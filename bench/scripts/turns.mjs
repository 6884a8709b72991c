// What the loop scripts beside the bench share: a loop of `count` steps timed in turns. Not a
// script of its own.

/**
 * Runs `step(i)` for i = 0 … count − 1 in each of `turns` turns and returns the nanoseconds per step
 * of every turn, sorted: the first turns warm the code up, so read the median and the spread.
 */
export function timeTurns(step, count, turns = 7) {
  const results = [];
  for (let turn = 0; turn < turns; turn++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) step(i);
    results.push(Number(process.hrtime.bigint() - started) / count);
  }
  return results.sort((a, b) => a - b);
}

/** "median of N turns: M (min A, max B)" for sorted results, in whole nanoseconds. */
export function describeTurns(results) {
  const whole = (value) => value.toFixed(0);
  return `median of ${results.length} turns: ${whole(results[results.length >> 1])} (min ${whole(results[0])}, max ${whole(results.at(-1))})`;
}
