// Preloaded into a service (`NODE_OPTIONS=--import=<this file>`) by hop-event-loop.mjs: every 2 s
// it appends to $ELD_DIR/<pid>.jsonl (default /tmp/eld) the event-loop delay of the last window
// (p50, p99 and max, ms, sampled every 1 ms), the garbage collections in it (count, total and
// longest pause, ms, the longest one's kind and the time per kind) and its event-loop utilization, so stalls in a process can be set beside the request latency seen outside.
import { appendFileSync, mkdirSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const directory = process.env.ELD_DIR ?? '/tmp/eld';
mkdirSync(directory, { recursive: true });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
// perf_hooks' GC kinds: 1 minor (scavenge), 2 major (mark-compact), 4 incremental marking, 8
// weak callbacks.
const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
const noCollections = () => ({ count: 0, totalMs: 0, longestMs: 0, longestKind: '', byKindMs: {} });
let collections = noCollections();
let utilization = performance.eventLoopUtilization();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind] ?? String(entry.detail?.kind);
    collections.count += 1;
    collections.totalMs += entry.duration;
    collections.byKindMs[kind] = (collections.byKindMs[kind] ?? 0) + entry.duration;
    if (entry.duration > collections.longestMs) {
      collections.longestMs = entry.duration;
      collections.longestKind = kind;
    }
  }
}).observe({ entryTypes: ['gc'] });
setInterval(() => {
  const window = {
    at: Date.now(),
    script: process.argv[1]?.split('/').slice(-3).join('/'),
    p50Ms: delay.percentile(50) / 1e6,
    p99Ms: delay.percentile(99) / 1e6,
    maxMs: delay.max / 1e6,
    gc: collections,
    // The sampling timer itself keeps the loop a little busy: compare windows, not absolutes.
    elu: performance.eventLoopUtilization(utilization).utilization,
  };
  utilization = performance.eventLoopUtilization();
  appendFileSync(`${directory}/${process.pid}.jsonl`, `${JSON.stringify(window)}\n`);
  delay.reset();
  collections = noCollections();
}, 2_000).unref();
