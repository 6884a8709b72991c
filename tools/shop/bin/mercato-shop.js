#!/usr/bin/env node
// `pnpm start` runs this after turbo has built the shop (tools/shop/dist and the services' dist).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('mercato-shop: not built; run `pnpm start` from the repository root.\n');
  process.exit(1);
}
process.exitCode = await cli.runShopCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  onSignal: (signal, handler) => process.on(signal, handler),
});
