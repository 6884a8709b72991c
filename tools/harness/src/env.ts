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

// ---------------------------------------------------------------------------------------------
// TEMPORARY: this is the only code in @mercato/harness that touches process.env. Both functions
// move to @mercato/config once that package can serve tools; callers keep their signatures.
// ---------------------------------------------------------------------------------------------

/** Reads the harness's environment variables (the one place in this package that reads process.env). */
export function readHarnessEnvironment(): HarnessEnvironment {
  const variable = (name: string): string | undefined => {
    const value = process.env[name]?.trim();
    return value ? value : undefined;
  };
  const userId = process.getuid?.() ?? 'user';
  return {
    kafkaBrokers: parseBrokerList(variable('KAFKA_BROKERS')),
    postgresUrl: variable('MERCATO_TEST_POSTGRES_URL'),
    testDatabaseUrl: variable('TEST_DATABASE_URL'),
    cacheDir:
      variable('MERCATO_CACHE_DIR') ??
      join(variable('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'mercato'),
    stateDir: variable('MERCATO_HARNESS_STATE_DIR') ?? join(tmpdir(), `mercato-harness-${userId}`),
    javaHome: variable('JAVA_HOME'),
  };
}

/** Publishes addresses to later readers in this process and to child processes (Jest workers). */
export function exportTestEnvironment(values: {
  readonly KAFKA_BROKERS?: string;
  readonly TEST_DATABASE_URL?: string;
}): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) process.env[name] = value;
  }
}

/** Splits a `host:port,host:port` list, ignoring blanks. */
export function parseBrokerList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}
