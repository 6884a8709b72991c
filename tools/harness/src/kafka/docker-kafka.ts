import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import { fileExists } from '../files.js';
import { runCommand } from '../processes.js';
import { isKafkaReachable } from './kafka-probe.js';

/** The compose service that runs Kafka. */
export const COMPOSE_KAFKA_SERVICE = 'kafka';
/**
 * The container port of that service's listener for clients on the host. The compose file must
 * publish it and advertise it as `localhost:<published port>`, or clients on the host cannot follow
 * the broker's metadata.
 */
export const COMPOSE_KAFKA_HOST_LISTENER_PORT = 9092;
const COMPOSE_FILE_NAMES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
];

/** Runs a command and resolves with its stdout (rejects when it fails). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: { timeoutMs?: number },
) => Promise<string>;

/** Inputs of the Docker branch; the runner and probe are injectable for unit tests. */
export interface DockerKafkaOptions {
  /** The directory searched for the compose file; undefined when not inside the repository. */
  readonly repositoryRoot: string | undefined;
  readonly log: (message: string) => void;
  readonly run?: CommandRunner;
  readonly isReachable?: (brokers: readonly string[]) => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

/**
 * Starts the compose file's `kafka` service when a Docker engine answers, and returns its brokers.
 * Returns undefined — so the caller falls through to the next way of getting a broker — when there
 * is no engine, no compose file, no `kafka` service in it, or the service does not come up.
 */
export async function startDockerKafka(options: DockerKafkaOptions): Promise<string[] | undefined> {
  const run = options.run ?? runCommand;
  const isReachable =
    options.isReachable ?? ((brokers: readonly string[]) => isKafkaReachable(brokers));
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
  } catch {
    return undefined;
  }
  const composeFile = options.repositoryRoot
    ? await findComposeFile(options.repositoryRoot)
    : undefined;
  if (composeFile === undefined) {
    options.log(
      'Docker is available but the repository has no compose file; not using Docker for Kafka.',
    );
    return undefined;
  }
  const compose = (args: readonly string[], timeoutMs: number) =>
    run('docker', ['compose', '--file', composeFile, ...args], { timeoutMs });
  try {
    const services = (await compose(['config', '--services'], 30_000))
      .split('\n')
      .map((line) => line.trim());
    if (!services.includes(COMPOSE_KAFKA_SERVICE)) {
      options.log(
        `${composeFile} has no "${COMPOSE_KAFKA_SERVICE}" service; not using Docker for Kafka.`,
      );
      return undefined;
    }
    options.log(
      `Starting the "${COMPOSE_KAFKA_SERVICE}" service of ${composeFile} with Docker Compose.`,
    );
    await compose(['up', '--detach', '--wait', COMPOSE_KAFKA_SERVICE], 10 * 60_000);
    const published = await compose(
      ['port', COMPOSE_KAFKA_SERVICE, String(COMPOSE_KAFKA_HOST_LISTENER_PORT)],
      30_000,
    );
    const brokers = [`127.0.0.1:${parsePublishedPort(published)}`];
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
    while (!(await isReachable(brokers))) {
      if (Date.now() >= deadline) throw new Error(`the broker at ${brokers[0]} does not answer`);
      await sleep(500);
    }
    return brokers;
  } catch (error) {
    options.log(`Docker Compose could not provide Kafka (${errorMessage(error)}); falling back.`);
    return undefined;
  }
}

/** The first compose file in `dir`, in the order Docker Compose itself prefers. */
export async function findComposeFile(dir: string): Promise<string | undefined> {
  for (const name of COMPOSE_FILE_NAMES) {
    if (await fileExists(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The host port from `docker compose port` output such as `0.0.0.0:19092` or `[::]:19092`. */
export function parsePublishedPort(output: string): number {
  const match = /:(\d+)\s*$/.exec(output.trim().split('\n')[0] ?? '');
  if (!match?.[1])
    throw new Error(`unexpected "docker compose port" output: ${JSON.stringify(output)}`);
  return Number(match[1]);
}
