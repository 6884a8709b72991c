export {
  medianRun,
  runBenchmarks,
  type BenchOptions,
  type BenchReport,
  type CheckoutResult,
  type MemoryResult,
  type ThroughputPart,
  type ThroughputPartId,
} from './benchmarks.js';
export { measureThroughput, type ThroughputResult, type ThroughputSettings } from './http-load.js';
export { InProcessProductBackend, inProcessProductClient } from './in-process-product.js';
export { currentCommit, describeMachine, machineSlug, type MachineInfo } from './machine.js';
export { renderMarkdown } from './report.js';
export { benchOptions, RESULTS_DIR, runCli } from './cli.js';
