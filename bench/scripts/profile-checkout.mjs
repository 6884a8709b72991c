// CPU profiles of the four services during order journeys, for the "where the time goes" notes.
//   ROOT=/path/to/checkout node bench/scripts/profile-checkout.mjs 30 24 /tmp/profiles
// Launches the shop of ROOT as the bench does, each service under `node --cpu-prof` writing into
// DIR/<service>/, drives RATE order journeys/s for SECONDS s and stops the shop, which writes the
// profiles. Read them with Chrome DevTools or `node bench/scripts/profile-top.mjs <file> [skip s]`.
// Not part of `pnpm bench`: an ad-hoc tool.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchScriptShop, orderJourneys } from './script-shop.mjs';

const rate = Number(process.argv[2] ?? 30);
const seconds = Number(process.argv[3] ?? 24);
const dir = process.argv[4] ?? '/tmp/profiles';
const services = ['gateway', 'product', 'order', 'payment'];
const env = {};
for (const service of services) {
  await mkdir(join(dir, service), { recursive: true });
  env[service] = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(dir, service)}` };
}
const { shop, stop } = await launchScriptShop('prof', env);
const summary = await orderJourneys(shop, { rate, seconds, shoppers: 100 });
console.log(JSON.stringify(summary.totals));
await stop();
console.log(`profiles under ${dir}/<service>/`);
