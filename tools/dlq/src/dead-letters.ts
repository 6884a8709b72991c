import { randomUUID } from 'node:crypto';
import { deadLetterTopic, TOPICS, type Topic } from '@mercato/contracts';
import { DEAD_LETTER_HEADERS, textHeaders, type MessageHeaders } from '@mercato/messaging';
import type { Kafka } from 'kafkajs';

/** How many times a message may be re-driven; past it, `redrive` refuses (fix the cause first). */
export const DEFAULT_MAX_REDRIVES = 3;

/**
 * The header a re-driven record carries: how many times it has been re-driven. The consumers keep
 * a record's headers when they dead-letter it again, so the count follows the message.
 */
export const REDRIVE_COUNT_HEADER = 'x-redrive-count';

/** A dead-lettered record, as read back from its dead-letter topic. */
export interface DeadLetter {
  /** `<dead-letter topic>:<partition>:<offset>`: what `show` and `redrive` take. */
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  /** Every header as text. */
  headers: Record<string, string>;
  /** Where it came from and goes back to on a re-drive. */
  originalTopic: string;
  /** The consumer group that gave up on it. */
  consumerGroup: string;
  /** The failure: error name and message. */
  errorType: string;
  reason: string;
  attempts: number;
  failedAt: Date | undefined;
  /** How many times it had been re-driven before it landed here. */
  redrives: number;
  /** The event type header, when the producer set one. */
  eventType: string | undefined;
}

/** The dead-letter topics of the shop's topics under a namespace (`KAFKA_NAMESPACE`). */
export function deadLetterTopics(namespace = '', topics: readonly Topic[] = Object.values(TOPICS)) {
  return topics.map((topic) => namespace + deadLetterTopic(topic));
}

function toDeadLetter(
  topic: string,
  partition: number,
  message: { offset: string; key: Buffer | null; value: Buffer | null; headers?: MessageHeaders },
): DeadLetter {
  const headers = textHeaders(message.headers);
  const failedAt = headers[DEAD_LETTER_HEADERS.failedAt];
  return {
    id: `${topic}:${partition}:${message.offset}`,
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers,
    originalTopic: headers[DEAD_LETTER_HEADERS.originalTopic] ?? topic.replace(/\.dlq$/, ''),
    consumerGroup: headers[DEAD_LETTER_HEADERS.consumerGroup] ?? '',
    errorType: headers[DEAD_LETTER_HEADERS.errorType] ?? '',
    reason: headers[DEAD_LETTER_HEADERS.errorMessage] ?? '',
    attempts: Number(headers[DEAD_LETTER_HEADERS.attempts] ?? 0),
    failedAt: failedAt ? new Date(failedAt) : undefined,
    redrives: Number(headers[REDRIVE_COUNT_HEADER] ?? 0),
    eventType: headers['event-type'],
  };
}

/**
 * Every record now in the given dead-letter topics, oldest first per partition. Reads with a
 * throw-away consumer group up to each partition's end as it was when called, then deletes the
 * group, so nothing of the shop's own consumers changes.
 */
export async function readDeadLetters(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `mercato-dlq-${randomUUID()}`;
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    // What is left to read: partition → the offset of its last record.
    const remaining = new Map<string, bigint>();
    for (const topic of present) {
      for (const { partition, offset, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(offset) > BigInt(low))
          remaining.set(`${topic}:${partition}`, BigInt(offset) - 1n);
      }
    }
    if (remaining.size === 0) return [];
    const letters: DeadLetter[] = [];
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: present, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the dead-letter topics were not read in ${timeoutMs} ms`)),
          timeoutMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              const key = `${topic}:${partition}`;
              const last = remaining.get(key);
              if (last === undefined || BigInt(message.offset) > last) return;
              letters.push(toDeadLetter(topic, partition, message));
              if (BigInt(message.offset) === last) remaining.delete(key);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return letters.sort(
      (a, b) =>
        a.topic.localeCompare(b.topic) ||
        a.partition - b.partition ||
        Number(BigInt(a.offset) - BigInt(b.offset)),
    );
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Why a dead letter may not be re-driven, or undefined when it may. */
export function refusal(letter: DeadLetter, maxRedrives: number): string | undefined {
  if (letter.redrives >= maxRedrives) {
    return `re-driven ${letter.redrives} times already (at most ${maxRedrives}): fix the cause, or raise --max-redrives`;
  }
  return undefined;
}

/** The headers a re-driven record carries: the original ones, without the failure's, counted once more. */
export function redriveHeaders(letter: DeadLetter): Record<string, string> {
  const failure = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (!failure.has(name) && name !== REDRIVE_COUNT_HEADER) headers[name] = value;
  }
  headers[REDRIVE_COUNT_HEADER] = String(letter.redrives + 1);
  return headers;
}

export interface RedriveOutcome {
  redriven: DeadLetter[];
  refused: Array<{ letter: DeadLetter; reason: string }>;
}

/**
 * Publishes each letter again to its original topic, same key and value, with the re-drive count
 * raised; letters past `maxRedrives` are refused. The consumers' idempotency (the inbox,
 * processed_events, and handlers that check the state they change) makes a re-drive of something
 * already handled a no-op, so re-driving is always safe to repeat.
 */
export async function redrive(
  kafka: Kafka,
  letters: readonly DeadLetter[],
  maxRedrives = DEFAULT_MAX_REDRIVES,
): Promise<RedriveOutcome> {
  const outcome: RedriveOutcome = { redriven: [], refused: [] };
  const allowed: DeadLetter[] = [];
  for (const letter of letters) {
    const reason = refusal(letter, maxRedrives);
    if (reason) outcome.refused.push({ letter, reason });
    else allowed.push(letter);
  }
  if (allowed.length === 0) return outcome;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const letter of allowed) {
      await producer.send({
        topic: letter.originalTopic,
        acks: -1,
        messages: [{ key: letter.key, value: letter.value, headers: redriveHeaders(letter) }],
      });
      outcome.redriven.push(letter);
    }
  } finally {
    await producer.disconnect();
  }
  return outcome;
}

/**
 * Deletes every record now in the given dead-letter topics (Kafka deletes up to an offset per
 * partition, never one record alone). Returns how many records were removed.
 */
export async function purge(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    let removed = 0;
    for (const topic of topics.filter((each) => existing.has(each))) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const partitions = offsets.filter(({ offset, low }) => BigInt(offset) > BigInt(low));
      if (partitions.length === 0) continue;
      await admin.deleteTopicRecords({
        topic,
        partitions: partitions.map(({ partition, offset }) => ({ partition, offset })),
      });
      for (const { offset, low } of partitions) removed += Number(BigInt(offset) - BigInt(low));
    }
    return removed;
  } finally {
    await admin.disconnect();
  }
}
