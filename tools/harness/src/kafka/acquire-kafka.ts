import { readHarnessEnvironment } from '../env.js';
import { type AcquireOptions, type InfraSource, serviceStateDir, silent } from '../infra.js';
import { findRepositoryRoot } from '../repository.js';
import { type ServiceInstance, SharedService, type StopOutcome } from '../shared-service.js';
import { startDockerKafka } from './docker-kafka.js';
import { createJvmKafkaDriver, type KafkaEndpoint } from './jvm-kafka.js';
import { isKafkaReachable } from './kafka-probe.js';

/** A reachable Kafka cluster, held until `release()`. */
export interface KafkaLease {
  /** `host:port` bootstrap addresses for kafkajs. */
  readonly brokers: readonly string[];
  readonly source: InfraSource;
  /** True when this call started the broker (false when it reused one or the broker is external). */
  readonly started: boolean;
  /** Milliseconds per start-up phase when this call started the broker. */
  readonly startupTimings: Readonly<Record<string, number>>;
  /** Gives the lease back; a broker the harness started stops when its last lease is released. Idempotent. */
  release(): Promise<void>;
}

/** How to find or start a broker. */
export interface AcquireKafkaOptions extends AcquireOptions {
  /** Brokers to use when they answer (default `KAFKA_BROKERS`); pass `[]` to ignore the environment. */
  readonly externalBrokers?: readonly string[];
  /** Try `docker compose up kafka` when a Docker engine answers (default true). */
  readonly docker?: boolean;
  /** Cache for the Kafka jars (default `MERCATO_CACHE_DIR`). */
  readonly cacheDir?: string;
}

/**
 * Gives a reachable Kafka broker: `KAFKA_BROKERS` if it answers, else the compose file's `kafka`
 * service if Docker runs, else a single-node KRaft broker from Apache Kafka's jars, shared by every
 * process on the machine through lease files and stopped when the last lease is released.
 */
export async function acquireKafka(options: AcquireKafkaOptions = {}): Promise<KafkaLease> {
  const environment = readHarnessEnvironment();
  const log = options.log ?? silent;
  const external = options.externalBrokers ?? environment.kafkaBrokers;
  if (external.length > 0) {
    if (await isKafkaReachable(external)) return externalLease(external, 'environment');
    log(`Kafka at ${external.join(',')} does not answer; looking for another broker.`);
  }
  if (options.docker ?? true) {
    const brokers = await startDockerKafka({ repositoryRoot: await findRepositoryRoot(), log });
    if (brokers !== undefined) return externalLease(brokers, 'docker');
  }
  const service = jvmKafkaService(options, environment.cacheDir, environment.javaHome, log);
  const hold = await service.acquire(options.hold ?? 'lease');
  return {
    brokers: hold.endpoint.brokers,
    source: 'harness',
    started: hold.started,
    startupTimings: hold.started ? hold.instance.startupTimings : {},
    release: hold.release,
  };
}

/** Stops the broker the harness runs for this state directory, whoever holds it (`ensure-kafka stop`). */
export function stopKafka(
  options: Pick<AcquireKafkaOptions, 'stateDir'> = {},
): Promise<StopOutcome> {
  const environment = readHarnessEnvironment();
  return jvmKafkaService(options, environment.cacheDir, environment.javaHome).stop();
}

/** The broker the harness runs for this state directory, with its live holders, if one is running. */
export async function kafkaStatus(
  options: Pick<AcquireKafkaOptions, 'stateDir'> = {},
): Promise<
  { instance: ServiceInstance<KafkaEndpoint>; holders: number[]; pinned: boolean } | undefined
> {
  const environment = readHarnessEnvironment();
  return jvmKafkaService(options, environment.cacheDir, environment.javaHome).status();
}

function jvmKafkaService(
  options: Pick<AcquireKafkaOptions, 'stateDir' | 'cacheDir'>,
  defaultCacheDir: string,
  javaHome: string | undefined,
  log: (message: string) => void = silent,
): SharedService<KafkaEndpoint> {
  const driver = createJvmKafkaDriver({
    cacheDir: options.cacheDir ?? defaultCacheDir,
    javaHome,
    log,
  });
  return new SharedService(driver, serviceStateDir('kafka', options.stateDir));
}

function externalLease(brokers: readonly string[], source: InfraSource): KafkaLease {
  // Never stopped by the harness: it did not start this broker.
  return { brokers, source, started: false, startupTimings: {}, release: async () => undefined };
}
