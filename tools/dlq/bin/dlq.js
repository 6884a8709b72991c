#!/usr/bin/env node
// pnpm dlq: runs the built package (dist/); `pnpm dlq` builds it first.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'mercato-dlq: @mercato/dlq is not built; run `pnpm --filter @mercato/dlq build`.\n',
  );
  process.exit(1);
}
process.exitCode = await cli.runDlqCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
