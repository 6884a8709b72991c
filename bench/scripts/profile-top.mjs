// The top frames of a V8 CPU profile (`node --cpu-prof`), by self time and by inclusive time, as
// shares of the samples taken after the first SKIP seconds (default 3: start-up).
//   node bench/scripts/profile-top.mjs <file.cpuprofile> [SKIP] [ROWS]
// Not part of `pnpm bench`: an ad-hoc tool beside profile-checkout.mjs.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// Samples by node, counted from SKIP seconds after the profile began.
let t = 0;
const keep = new Map();
const skipUs = Number(process.argv[3] ?? 3) * 1e6;
p.samples.forEach((s, i) => {
  t += p.timeDeltas[i];
  if (t > skipUs) keep.set(s, (keep.get(s) ?? 0) + 1);
});
const total = [...keep.values()].reduce((a, b) => a + b, 0);
const self = new Map();
const incl = new Map();
const name = (n) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace('file:///work/main/', '')}:${n.callFrame.lineNumber}`;
for (const [id, c] of keep) {
  const n = byId.get(id);
  const k = name(n);
  self.set(k, (self.get(k) ?? 0) + c);
  const seen = new Set();
  let cur = id;
  while (cur !== undefined) {
    const kk = name(byId.get(cur));
    if (!seen.has(kk)) {
      incl.set(kk, (incl.get(kk) ?? 0) + c);
      seen.add(kk);
    }
    cur = parent.get(cur);
  }
}
const pct = (c) => ((100 * c) / total).toFixed(1).padStart(5);
console.log('total samples', total);
console.log('--- self');
for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(pct(c), k);
console.log('--- inclusive');
for (const [k, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 60)))
  console.log(pct(c), k);
