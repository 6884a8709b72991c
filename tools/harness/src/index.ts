export {
  acquireKafka,
  kafkaStatus,
  stopKafka,
  type AcquireKafkaOptions,
  type KafkaLease,
} from './kafka/acquire-kafka.js';
export { KAFKA_VERSION } from './kafka/kafka-distribution.js';
export { isKafkaReachable } from './kafka/kafka-probe.js';
export { COMPOSE_KAFKA_HOST_LISTENER_PORT, COMPOSE_KAFKA_SERVICE } from './kafka/docker-kafka.js';
export { type KafkaEndpoint } from './kafka/jvm-kafka.js';
export {
  acquirePostgres,
  postgresStatus,
  stopPostgres,
  type AcquirePostgresOptions,
  type PostgresLease,
} from './postgres/acquire-postgres.js';
export { createTestDatabase, dropTestDatabase } from './postgres/databases.js';
export { isPostgresReachable, type PostgresEndpoint } from './postgres/postgres-server.js';
export {
  hasPostgresServer,
  startLocalPostgres,
  type LocalPostgres,
  type StartLocalPostgresOptions,
} from './postgres/local-postgres.js';
export {
  setupTestInfra,
  teardownTestInfra,
  testInfraEnvironment,
  type TestInfraEnvironment,
  type TestInfraOptions,
} from './jest.js';
export { runEnsureCommand, type EnsuredService, type TextSink } from './cli.js';
export { type AcquireOptions, type InfraSource } from './infra.js';
export {
  SharedService,
  type HoldKind,
  type ServiceDriver,
  type ServiceHold,
  type ServiceInstance,
  type SpawnRecorder,
  type StopOutcome,
} from './shared-service.js';
export { eventually, type EventuallyOptions } from './eventually.js';
export { startTogether, type Startable } from './start-together.js';
export { findRedisServer, startRedisServer, type RedisServer } from './redis/redis-server.js';
export { withLock, type LockOptions } from './lock.js';
export {
  PORT_RESERVATIONS_DIR,
  releasePort,
  reservePort,
  type ReservePortOptions,
} from './ports.js';
