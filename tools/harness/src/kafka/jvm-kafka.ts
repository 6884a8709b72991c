import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isErrorCode } from '../errors.js';
import { tailFile } from '../files.js';
import { reservePort } from '../ports.js';
import { runCommand, terminateProcess } from '../processes.js';
import { type ServiceDriver, type ServiceInstance, type SpawnRecorder } from '../shared-service.js';
import { ensureKafkaLibraries, KAFKA_VERSION } from './kafka-distribution.js';
import { isKafkaReachable } from './kafka-probe.js';

/** Where clients reach a Kafka cluster. */
export interface KafkaEndpoint {
  readonly brokers: readonly string[];
}

/** Inputs of the JVM broker driver. */
export interface JvmKafkaOptions {
  /** Holds the downloaded jars (`kafka-<version>/libs`). */
  readonly cacheDir: string;
  /** The JDK to use; `java` from PATH when undefined. */
  readonly javaHome: string | undefined;
  /** How long a started broker may take to answer metadata requests. */
  readonly readyTimeoutMs?: number;
  /** Progress notes for people. */
  readonly log: (message: string) => void;
}

/**
 * Single-node JVM settings: the serial collector (one or two cores) and a heap that starts small and
 * gives back what it does not use (free ratios), so an idle broker — `pnpm start` next to a browser
 * and an IDE — holds ~160 MiB, while a suite's load may still grow it to 512 MiB. The full JIT (C2
 * for hot code): C1 alone starts the broker ~0.5 s sooner but costs a third more CPU per message
 * under load (tools/harness/README.md).
 */
const BROKER_JVM_OPTIONS = [
  '-Xms32m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:MinHeapFreeRatio=10',
  '-XX:MaxHeapFreeRatio=30',
  '-Djava.awt.headless=true',
];
/** The one-off storage format: short-lived, so C1 alone starts it sooner. */
const TOOL_JVM_OPTIONS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
const START_ATTEMPTS = 3;
const PORT_IN_USE = /Address already in use/;

/** A driver that runs a single-node KRaft Apache Kafka broker from its jars on the local JVM. */
export function createJvmKafkaDriver(options: JvmKafkaOptions): ServiceDriver<KafkaEndpoint> {
  return {
    name: 'kafka',
    stopSignal: 'SIGTERM',
    isReady: (endpoint) => isKafkaReachable(endpoint.brokers),
    async start(workDir, logFile, recordSpawn) {
      const libraries = await ensureKafkaLibraries(options.cacheDir, options.log);
      options.log(`Starting a single-node Kafka ${KAFKA_VERSION} broker (log: ${logFile}).`);
      for (let attempt = 1; ; attempt += 1) {
        try {
          const instance = await startBroker(
            workDir,
            logFile,
            libraries.libsDir,
            options,
            recordSpawn,
          );
          const download: Record<string, number> =
            libraries.downloadMs === undefined ? {} : { download: libraries.downloadMs };
          return { ...instance, startupTimings: { ...download, ...instance.startupTimings } };
        } catch (error) {
          // Another program can grab a port between our probe and the broker's bind; pick new ones.
          if (attempt < START_ATTEMPTS && error instanceof PortTakenError) continue;
          throw error;
        }
      }
    },
  };
}

class PortTakenError extends Error {}

async function startBroker(
  workDir: string,
  logFile: string,
  libsDir: string,
  options: JvmKafkaOptions,
  recordSpawn: SpawnRecorder,
): Promise<ServiceInstance<KafkaEndpoint>> {
  const java = options.javaHome ? join(options.javaHome, 'bin', 'java') : 'java';
  const classpath = join(libsDir, '*');
  const brokerPort = await reservePort();
  // Reserved ports are never handed out twice while this process lives.
  const controllerPort = await reservePort();

  const dataDir = join(workDir, 'data');
  const serverProperties = join(workDir, 'server.properties');
  const log4jProperties = join(workDir, 'log4j2.properties');
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await writeFile(serverProperties, brokerProperties({ brokerPort, controllerPort, dataDir }));
  await writeFile(log4jProperties, loggingProperties(logFile));
  const log4jOption = `-Dlog4j2.configurationFile=${log4jProperties}`;

  const formatBegan = Date.now();
  await runCommand(java, [
    ...TOOL_JVM_OPTIONS,
    log4jOption,
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    newClusterId(),
    '--config',
    serverProperties,
    // A one-voter dynamic controller quorum (KIP-853), the form Kafka 4 documents for new clusters.
    '--standalone',
  ]).catch((error: unknown) => {
    const hint = isErrorCode((error as { cause?: unknown }).cause, 'ENOENT')
      ? ' (Java 17+ is needed: put java on PATH or set JAVA_HOME)'
      : '';
    throw new Error(
      `formatting the Kafka ${KAFKA_VERSION} storage failed${hint}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  });
  const formatMs = Date.now() - formatBegan;

  const startBegan = Date.now();
  const logFd = openSync(logFile, 'w');
  const broker = spawn(
    java,
    [...BROKER_JVM_OPTIONS, log4jOption, '-cp', classpath, 'kafka.Kafka', serverProperties],
    // Detached into its own session: the broker outlives the process that started it and is not
    // hit by a Ctrl-C meant for a test run; the lease files decide when it stops.
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const brokerProcess: { exit?: string } = {};
  broker.once(
    'exit',
    (code, signal) => (brokerProcess.exit = `exited with ${signal ?? `code ${code}`}`),
  );
  broker.once(
    'error',
    (error) =>
      (brokerProcess.exit = `could not be started (${error.message}; is Java 17+ installed?)`),
  );
  broker.unref();
  if (broker.pid !== undefined) await recordSpawn(broker.pid, serverProperties);
  const brokers = [`127.0.0.1:${brokerPort}`];

  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await isKafkaReachable(brokers, 1_000))) {
    if (brokerProcess.exit === undefined && Date.now() < deadline) {
      await sleep(250);
      continue;
    }
    const reason =
      brokerProcess.exit ??
      `did not answer metadata requests on ${brokers[0]} within ${readyTimeoutMs} ms`;
    if (brokerProcess.exit === undefined && broker.pid !== undefined)
      await terminateProcess(broker.pid, 'SIGKILL', 0);
    const tail = await tailFile(logFile);
    const message = `Kafka ${KAFKA_VERSION} broker ${reason}. Last lines of ${logFile}:\n${tail}`;
    throw PORT_IN_USE.test(tail) ? new PortTakenError(message) : new Error(message);
  }
  if (broker.pid === undefined) throw new Error('the Kafka broker has no pid');
  return {
    pid: broker.pid,
    endpoint: { brokers },
    processMarker: serverProperties,
    startedAt: new Date().toISOString(),
    startupTimings: { format: formatMs, start: Date.now() - startBegan },
  };
}

/**
 * A combined broker+controller node bound to 127.0.0.1. Replication settings are those a single node
 * can satisfy; internal topics get one partition because a test broker needs no parallelism there
 * and creating 50 of them slows the first consumer group down. Topics are not auto-created: code
 * must create what it uses (as production clusters are usually configured), so a typo in a topic
 * name fails loudly instead of silently creating a new topic.
 */
function brokerProperties(ports: {
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
}): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${ports.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.brokerPort},CONTROLLER://127.0.0.1:${ports.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': ports.dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'share.coordinator.state.topic.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The log cleaner's dedupe buffer is allocated on the heap when the broker starts: 128 MiB by
    // default, 45 % of an idle broker's memory. The compacted topics here (consumer offsets) hold
    // a few thousand keys; 8 MiB holds ~300,000 (24 bytes a key, 90 % load) per cleaning pass.
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** Warnings and the broker's own lifecycle lines only; Kafka's INFO output is megabytes per run. */
function loggingProperties(logFile: string): string {
  return `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${logFile}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.lifecycle.name = kafka.server
logger.lifecycle.level = info
`;
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 (what `kafka-storage random-uuid` prints). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka never generates ids starting with '-', which command-line parsers would take for an option.
    if (!id.startsWith('-')) return id;
  }
}
