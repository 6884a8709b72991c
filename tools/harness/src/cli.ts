import { errorMessage } from './errors.js';
import { KAFKA_VERSION } from './kafka/kafka-distribution.js';
import { acquireKafka, kafkaStatus, stopKafka } from './kafka/acquire-kafka.js';
import { formatTimings } from './infra.js';
import { acquirePostgres, postgresStatus, stopPostgres } from './postgres/acquire-postgres.js';
import { type StopOutcome } from './shared-service.js';

/** Something text can be written to (process.stdout, a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** The servers the bins manage. */
export type EnsuredService = 'kafka' | 'postgres';

interface ServiceCommands {
  readonly title: string;
  /** Acquire with a pin and return [address, how it was obtained]. */
  ensure(log: (message: string) => void): Promise<{ address: string; note: string }>;
  stop(): Promise<StopOutcome>;
  status(): Promise<
    { address: string; pid: number; holders: number[]; pinned: boolean } | undefined
  >;
}

/**
 * The `ensure-kafka` / `ensure-postgres` command: with no argument (or `start`) prints the address of
 * a running server on stdout, starting one if needed and keeping it running after the command
 * exits; `stop` stops it; `status` describes it. Notes and timings go to stderr. Returns the exit code.
 */
export async function runEnsureCommand(
  service: EnsuredService,
  args: readonly string[],
  streams: { readonly stdout: TextSink; readonly stderr: TextSink },
  overrides: { readonly stateDir?: string } = {},
): Promise<number> {
  const commands =
    service === 'kafka' ? kafkaCommands(overrides.stateDir) : postgresCommands(overrides.stateDir);
  const note = (message: string) => streams.stderr.write(`ensure-${service}: ${message}\n`);
  const command = args[0] ?? 'start';
  try {
    switch (command) {
      case 'start': {
        const began = Date.now();
        const { address, note: how } = await commands.ensure(note);
        note(`${how} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
        streams.stdout.write(`${address}\n`);
        return 0;
      }
      case 'stop': {
        const outcome = await commands.stop();
        note(outcome.stopped ? `stopped ${commands.title}` : `no ${commands.title} was running`);
        if (outcome.interruptedHolders.length > 0) {
          note(`processes ${outcome.interruptedHolders.join(', ')} still held a lease on it`);
        }
        return 0;
      }
      case 'status': {
        const status = await commands.status();
        if (status === undefined) {
          note(`no ${commands.title} is running`);
          return 1;
        }
        streams.stdout.write(`${status.address}\n`);
        note(
          `${commands.title} pid ${status.pid}; ${status.pinned ? 'pinned until stop' : 'not pinned'}; ` +
            `leases held by ${status.holders.length > 0 ? status.holders.join(', ') : 'nobody'}`,
        );
        return 0;
      }
      default:
        streams.stderr.write(
          `usage: ensure-${service} [start|stop|status]\n` +
            `  start   print the address of a running ${commands.title}, starting one if needed (default)\n` +
            `  stop    stop the ${commands.title} the harness started\n` +
            `  status  print its address and who holds it\n`,
        );
        return command === '--help' || command === 'help' ? 0 : 2;
    }
  } catch (error) {
    note(errorMessage(error));
    return 1;
  }
}

function kafkaCommands(stateDir: string | undefined): ServiceCommands {
  const options = stateDir === undefined ? {} : { stateDir };
  return {
    title: `Kafka ${KAFKA_VERSION} broker`,
    async ensure(log) {
      const lease = await acquireKafka({ ...options, hold: 'pin', log });
      const how =
        lease.source !== 'harness'
          ? `using the broker from ${lease.source}`
          : lease.started
            ? `started Kafka ${KAFKA_VERSION} (${formatTimings(lease.startupTimings)})`
            : 'reusing the running broker';
      return { address: lease.brokers.join(','), note: how };
    },
    stop: () => stopKafka(options),
    async status() {
      const status = await kafkaStatus(options);
      return (
        status && {
          ...status,
          pid: status.instance.pid,
          address: status.instance.endpoint.brokers.join(','),
        }
      );
    },
  };
}

function postgresCommands(stateDir: string | undefined): ServiceCommands {
  const options = stateDir === undefined ? {} : { stateDir };
  return {
    title: 'PostgreSQL server',
    async ensure(log) {
      const lease = await acquirePostgres({ ...options, hold: 'pin', log });
      const how =
        lease.source !== 'harness'
          ? `using the server from ${lease.source}`
          : lease.started
            ? `started PostgreSQL (${formatTimings(lease.startupTimings)})`
            : 'reusing the running server';
      return { address: lease.url, note: how };
    },
    stop: () => stopPostgres(options),
    async status() {
      const status = await postgresStatus(options);
      return (
        status && { ...status, pid: status.instance.pid, address: status.instance.endpoint.url }
      );
    },
  };
}
