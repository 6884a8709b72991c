// Preloaded into a service (`NODE_OPTIONS=--import=<this file>`) by hop-event-loop.mjs with
// HEAP_SAMPLE=1: the first SIGUSR2 starts V8's sampling heap profiler, counting only objects that
// survived the young generation (`includeObjectsCollectedByMajorGC`, not `…ByMinorGC`) — what a
// process promotes to its old generation, which its major collections then have to mark — and the
// second SIGUSR2 stops it and writes $HEAP_SAMPLE_DIR/<pid>.heapprofile (default /tmp/heap-sample).
// Read it with Chrome DevTools or `node bench/scripts/heap-top.mjs <file>`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const directory = process.env.HEAP_SAMPLE_DIR ?? '/tmp/heap-sample';
const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  void (async () => {
    if (!sampling) {
      sampling = true;
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 16_384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: false,
      });
      return;
    }
    sampling = false;
    const { profile } = await session.post('HeapProfiler.stopSampling');
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}/${process.pid}.heapprofile`, JSON.stringify(profile));
  })();
});
