// Shared body of the bins: they run the built package (dist/), so build it first.
/** @param {'kafka' | 'postgres'} service */
export async function runBin(service) {
  let cli;
  try {
    cli = await import('../dist/cli.js');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(
      'ensure-' +
        service +
        ': @mercato/harness is not built; run `pnpm --filter @mercato/harness build`.\n',
    );
    process.exitCode = 1;
    return;
  }
  process.exitCode = await cli.runEnsureCommand(service, process.argv.slice(2), process);
}
