#!/usr/bin/env node
// pnpm bench: runs the built package (dist/), so build it first (the root script does).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'bench: @mercato/bench is not built; run `pnpm --filter @mercato/bench... build`.\n',
  );
  process.exit(1);
}
process.exitCode = await cli.runCli(process.argv.slice(2));
