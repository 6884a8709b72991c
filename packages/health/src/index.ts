export {
  Health,
  createHealth,
  type CheckResult,
  type HealthChangeListener,
  type HealthCheckFn,
  type HealthCheckOptions,
  type HealthSnapshot,
  type LifecycleState,
  type ReadinessReport,
  type ReadinessStatus,
} from './health.js';
export { createHealthRouter, type HealthRouterOptions } from './http.js';
export { OVERALL_SERVICE, addGrpcHealthService, type GrpcServingStatus } from './grpc.js';
export {
  SHUTDOWN_SIGNALS,
  ShutdownCoordinator,
  createShutdownCoordinator,
  type Closer,
  type ShutdownCoordinatorOptions,
} from './shutdown.js';
export {
  closeGrpcServer,
  closeHttpServer,
  type CloseOutcome,
  type CloseServerOptions,
} from './close.js';
export { type HealthLogger } from './logger.js';
export {
  startMemoryReducer,
  type GcFunction,
  type MemoryReducer,
  type MemoryReducerOptions,
  type MemoryReduction,
} from './memory-reducer.js';
