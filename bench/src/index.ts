export {
  HOP_LOAD_SHARE,
  medianRun,
  runBenchmarks,
  type BenchMode,
  type BenchOptions,
  type BenchReport,
  type CheckoutResult,
  type HopLatencyResult,
  type MemoryResult,
  type ThroughputPart,
  type ThroughputPartId,
} from './benchmarks.js';
export {
  measureAtRate,
  measureAtRateInTurns,
  measureThroughput,
  type PacedResult,
  type PacedSettings,
  type ThroughputResult,
  type ThroughputSettings,
} from './http-load.js';
export { InProcessProductBackend, inProcessProductClient } from './in-process-product.js';
export { currentCommit, describeMachine, machineSlug, type MachineInfo } from './machine.js';
export { acceptanceChecks, renderMarkdown, type AcceptanceCheck } from './report.js';
export { benchOptions, RESULTS_DIR, runCli } from './cli.js';
