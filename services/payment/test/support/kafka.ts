import { Kafka, logLevel, type IHeaders } from 'kafkajs';

/** A record read back from a topic. */
export interface ReadRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

const kafkaFor = (brokers: string) =>
  new Kafka({ clientId: 'saga-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

const headerText = (headers: IHeaders | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));

/** Every record currently on a topic, read by a throw-away consumer group. */
export async function readTopic(
  brokers: string,
  topic: string,
  expectAtLeast: number,
  timeoutMs = 20_000,
): Promise<ReadRecord[]> {
  const consumer = kafkaFor(brokers).consumer({
    groupId: `reader-${Math.random().toString(36).slice(2)}`,
  });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push({
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        headers: headerText(message.headers),
      });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (records.length < expectAtLeast && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await consumer.disconnect();
  return records;
}

/** Produces raw records (for poison messages). */
export async function produceRaw(
  brokers: string,
  topic: string,
  messages: { key: string; value: string }[],
): Promise<void> {
  const producer = kafkaFor(brokers).producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

/** Moves consumer groups back to the first offset of their topics (the groups must be idle). */
export async function rewindGroups(
  brokers: string,
  groups: readonly { groupId: string; topic: string }[],
): Promise<void> {
  const admin = kafkaFor(brokers).admin();
  await admin.connect();
  for (const { groupId, topic } of groups)
    await admin.resetOffsets({ groupId, topic, earliest: true });
  await admin.disconnect();
}

/** Total lag of consumer groups: records on their topics not yet committed by them. */
export async function lagOf(
  brokers: string,
  groups: readonly { groupId: string; topic: string }[],
): Promise<number> {
  const admin = kafkaFor(brokers).admin();
  await admin.connect();
  let lag = 0;
  for (const { groupId, topic } of groups) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const end of ends) {
      const offset =
        committed?.partitions.find((partition) => partition.partition === end.partition)?.offset ??
        '-1';
      lag += Number(end.high) - Math.max(Number(offset), 0);
    }
  }
  await admin.disconnect();
  return lag;
}
