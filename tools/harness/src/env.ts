import { exportEnvironment, loadConfig, z } from '@mercato/config';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Everything the harness takes from the environment, already defaulted. */
export interface HarnessEnvironment {
  /** `KAFKA_BROKERS`: comma-separated brokers to use instead of starting one (empty when unset). */
  readonly kafkaBrokers: readonly string[];
  /** `MERCATO_TEST_POSTGRES_URL`: an existing PostgreSQL server to use instead of starting one. */
  readonly postgresUrl: string | undefined;
  /** `TEST_DATABASE_URL`: the server URL `setupTestInfra` exported to the test workers. */
  readonly testDatabaseUrl: string | undefined;
  /** `MERCATO_CACHE_DIR`, else `$XDG_CACHE_HOME/mercato`, else `~/.cache/mercato`: downloads kept between runs. */
  readonly cacheDir: string;
  /** `MERCATO_HARNESS_STATE_DIR`, else `<tmp>/mercato-harness-<uid>`: pids, ports, leases and data of running servers. */
  readonly stateDir: string;
  /** `JAVA_HOME`: the JDK that runs the Kafka broker (else `java` from PATH). */
  readonly javaHome: string | undefined;
}

const harnessEnvironmentSchema = z.object({
  KAFKA_BROKERS: z.string().optional(),
  MERCATO_TEST_POSTGRES_URL: z.string().optional(),
  TEST_DATABASE_URL: z.string().optional(),
  MERCATO_CACHE_DIR: z.string().optional(),
  XDG_CACHE_HOME: z.string().optional(),
  MERCATO_HARNESS_STATE_DIR: z.string().optional(),
  JAVA_HOME: z.string().optional(),
});

/** Reads the harness's environment variables through @mercato/config (the repo's only reader). */
export function readHarnessEnvironment(): HarnessEnvironment {
  const env = loadConfig(harnessEnvironmentSchema, { name: 'harness' });
  const userId = process.getuid?.() ?? 'user';
  return {
    kafkaBrokers: parseBrokerList(env.KAFKA_BROKERS),
    postgresUrl: env.MERCATO_TEST_POSTGRES_URL,
    testDatabaseUrl: env.TEST_DATABASE_URL,
    cacheDir:
      env.MERCATO_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mercato'),
    stateDir: env.MERCATO_HARNESS_STATE_DIR ?? join(tmpdir(), `mercato-harness-${userId}`),
    javaHome: env.JAVA_HOME,
  };
}

/** Publishes addresses to later readers in this process and to child processes (Jest workers). */
export function exportTestEnvironment(values: {
  readonly KAFKA_BROKERS?: string;
  readonly TEST_DATABASE_URL?: string;
}): void {
  exportEnvironment(values);
}

/** Splits a `host:port,host:port` list, ignoring blanks. */
export function parseBrokerList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}
