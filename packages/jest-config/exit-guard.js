/**
 * A Jest reporter that turns "Jest did not exit one second after the test run has completed" into a
 * failure with a cause, instead of a hang that lasts until CI's own time limit.
 *
 * Jest waits for the process to exit by itself once the tests have run. Anything a test started
 * and never stopped — a server, a Kafka client, a child process such as a browser — keeps it alive,
 * for ever, and the most likely moment for that is a failed `beforeAll` that started half of what
 * `afterAll` closes. This reporter arms an unreferenced timer when the run completes: a process
 * that exits normally never sees it; one still alive `graceMs` later (global teardown included) is
 * told what kept it, and exits with 1. Watch mode is left alone.
 */
export default class ExitGuard {
  /**
   * @param {{ watch?: boolean, watchAll?: boolean }} globalConfig
   * @param {{ graceMs?: number }} [options]
   */
  constructor(globalConfig, options = {}) {
    this.watching = Boolean(globalConfig.watch || globalConfig.watchAll);
    this.graceMs = options.graceMs ?? 120_000;
  }

  /**
   * @param {unknown} _contexts
   * @param {{ numFailedTests: number, numRuntimeErrorTestSuites: number }} results
   */
  onRunComplete(_contexts, results) {
    if (this.watching) return;
    const failed = results.numFailedTests > 0 || results.numRuntimeErrorTestSuites > 0;
    const timer = setTimeout(() => {
      process.stderr.write(
        `\n[exit-guard] Jest was still running ${Math.round(this.graceMs / 1000)} s after the ` +
          `last test${failed ? ' (the run had failures)' : ''}: something a test started — a ` +
          'server, a client, a child process, a timer — was never stopped. Exiting with 1; ' +
          '`jest --detectOpenHandles` shows what is left open.\n',
      );
      process.exit(1);
    }, this.graceMs);
    timer.unref();
  }
}
