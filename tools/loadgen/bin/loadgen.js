#!/usr/bin/env node
// mercato-loadgen: runs the built package (dist/), so build it first. The first Ctrl-C stops the
// run and prints the summary of what ran; a second one exits at once.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'mercato-loadgen: @mercato/loadgen is not built; run `pnpm --filter @mercato/loadgen build`.\n',
  );
  process.exit(1);
}
const stop = new AbortController();
process.on('SIGINT', () => {
  if (stop.signal.aborted) process.exit(130);
  stop.abort();
});
process.exitCode = await cli.runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: stop.signal,
});
