// The allocation sites of a sampling heap profile (heap-sample-preload.mjs, or DevTools' "allocation
// sampling"), by bytes allocated there, and the heaviest stacks (six frames, innermost first).
//   node bench/scripts/heap-top.mjs <file.heapprofile> [ROWS]
// Not part of `pnpm bench`: an ad-hoc tool.
import { readFileSync } from 'node:fs';

const { head } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = Number(process.argv[3] ?? 15);
const bySite = new Map();
const byStack = new Map();
let total = 0;
const frameName = ({ functionName, url, lineNumber }) =>
  `${functionName || '(anon)'} ${url.split('/').slice(-3).join('/')}:${lineNumber}`;
const walk = (node, stack) => {
  const frames = [...stack, frameName(node.callFrame)];
  total += node.selfSize;
  if (node.selfSize > 0) {
    const site = frames.at(-1);
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    const key = frames.slice(-6).reverse().join('  <  ');
    byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child, frames);
};
walk(head, []);
const share = (bytes) => `${((100 * bytes) / total).toFixed(1)}%`;
console.log(`sampled bytes: ${total}`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, rows))
  console.log(share(bytes), site);
console.log('--- stacks');
for (const [stack, bytes] of [...byStack].sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(rows / 2)))
  console.log(share(bytes), stack);
