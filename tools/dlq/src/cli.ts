import { parseArgs } from 'node:util';
import { TOPICS, type Topic } from '@mercato/contracts';
import { kafkaStatus } from '@mercato/harness';
import { Kafka, logLevel } from 'kafkajs';
import {
  DEFAULT_MAX_REDRIVES,
  deadLetterTopics,
  purge,
  readDeadLetters,
  redrive,
  type DeadLetter,
} from './dead-letters.js';

const USAGE = `Usage: pnpm dlq <command> [options]

Looks at the shop's dead-letter topics (orders.dlq, payments.dlq, products.dlq) and re-drives
what was parked there once its cause is fixed. The consumers' inbox makes a re-drive of a
message already handled a no-op.

Commands:
  list                     every dead letter: id, when, which consumer group, why
  show ID                  one dead letter's headers and value (ID as list prints it)
  redrive ID… | --all | --since TIME
                           publish them again to their original topic, re-drive count + 1;
                           refuses any re-driven --max-redrives times already
  purge --all              delete every record now in the dead-letter topics

Options:
  --topic NAME             only this topic's dead letters (orders, payments or products)
  --since TIME             with redrive: the letters that failed at or after TIME (ISO 8601)
  --max-redrives N         default ${DEFAULT_MAX_REDRIVES}
  --brokers LIST           Kafka bootstrap brokers (default KAFKA_BROKERS, else the harness's
                           running broker, as pnpm start uses)
  --namespace PREFIX       topic prefix (default KAFKA_NAMESPACE)
  -h, --help               this text
`;

export interface DlqIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

async function brokersOf(given: string | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  const listed = given ?? env.KAFKA_BROKERS;
  if (listed) return listed.split(',').filter(Boolean);
  const running = await kafkaStatus();
  if (running) return [...running.instance.endpoint.brokers];
  throw new Error('no Kafka broker: set KAFKA_BROKERS or --brokers (pnpm start prints its broker)');
}

const when = (date: Date | undefined) => date?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '?';

function row(letter: DeadLetter): string {
  const reason = letter.reason.length > 80 ? `${letter.reason.slice(0, 77)}…` : letter.reason;
  return [
    letter.id,
    when(letter.failedAt),
    letter.consumerGroup || '?',
    letter.eventType ?? '?',
    `attempts ${letter.attempts}`,
    `redrives ${letter.redrives}`,
    `${letter.errorType}: ${reason}`,
  ].join('  ');
}

/** `pnpm dlq`: resolves the exit code (0 done, 1 something refused or failed, 2 usage). */
export async function runDlqCli(args: readonly string[], io: DlqIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: args[0] === '--' ? args.slice(1) : [...args],
      allowPositionals: true,
      options: {
        topic: { type: 'string' },
        since: { type: 'string' },
        all: { type: 'boolean', default: false },
        'max-redrives': { type: 'string' },
        brokers: { type: 'string' },
        namespace: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...ids] = positionals;
  if (values.help || command === undefined) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  const topics = Object.values(TOPICS) as Topic[];
  if (values.topic !== undefined && !topics.includes(values.topic as Topic)) {
    io.err(`--topic: one of ${topics.join(', ')}, not "${values.topic}"`);
    return 2;
  }
  const maxRedrives = Number(values['max-redrives'] ?? DEFAULT_MAX_REDRIVES);
  if (!Number.isInteger(maxRedrives) || maxRedrives < 0) {
    io.err('--max-redrives: a whole number ≥ 0');
    return 2;
  }
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since !== undefined && Number.isNaN(since.getTime())) {
    io.err(`--since: not a time: "${values.since}"`);
    return 2;
  }

  const namespace = values.namespace ?? io.env.KAFKA_NAMESPACE ?? '';
  const dlqTopics = deadLetterTopics(namespace, values.topic ? [values.topic as Topic] : topics);
  const kafka = new Kafka({
    clientId: 'mercato-dlq',
    brokers: await brokersOf(values.brokers, io.env),
    logLevel: logLevel.NOTHING,
  });

  switch (command) {
    case 'list': {
      const letters = await readDeadLetters(kafka, dlqTopics);
      if (letters.length === 0) io.out(`no dead letters in ${dlqTopics.join(', ')}`);
      for (const letter of letters) io.out(row(letter));
      return 0;
    }
    case 'show': {
      const letters = await readDeadLetters(kafka, dlqTopics);
      const letter = letters.find((each) => each.id === ids[0]);
      if (!letter) {
        io.err(`no dead letter ${ids[0] ?? '(give an id from pnpm dlq list)'}`);
        return 1;
      }
      io.out(row(letter));
      for (const [name, value] of Object.entries(letter.headers)) io.out(`  ${name}: ${value}`);
      io.out(letter.value.toString());
      return 0;
    }
    case 'redrive': {
      if (ids.length === 0 && !values.all && since === undefined) {
        io.err('redrive: name the ids, or --all, or --since TIME');
        return 2;
      }
      const letters = (await readDeadLetters(kafka, dlqTopics)).filter(
        (letter) =>
          values.all ||
          ids.includes(letter.id) ||
          (since !== undefined && letter.failedAt !== undefined && letter.failedAt >= since),
      );
      const unknown = ids.filter((id) => !letters.some((letter) => letter.id === id));
      for (const id of unknown) io.err(`no dead letter ${id}`);
      const outcome = await redrive(kafka, letters, maxRedrives);
      for (const letter of outcome.redriven)
        io.out(
          `re-drove ${letter.id} to ${letter.originalTopic} (re-drive ${letter.redrives + 1})`,
        );
      for (const { letter, reason } of outcome.refused) io.err(`refused ${letter.id}: ${reason}`);
      if (outcome.redriven.length === 0 && outcome.refused.length === 0 && unknown.length === 0)
        io.out('nothing to re-drive');
      return outcome.refused.length > 0 || unknown.length > 0 ? 1 : 0;
    }
    case 'purge': {
      if (!values.all) {
        io.err('purge deletes every record of the dead-letter topics: say so with --all');
        return 2;
      }
      const removed = await purge(kafka, dlqTopics);
      io.out(`purged ${removed} record${removed === 1 ? '' : 's'} from ${dlqTopics.join(', ')}`);
      return 0;
    }
    default:
      io.err(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
