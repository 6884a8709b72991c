import { z } from 'zod';
import {
  EVENT_TOPICS,
  eventEnvelopeBaseSchema,
  eventDataSchemas,
  type EventType,
} from './events.js';
import { deadLetterTopic, TOPICS, type Topic } from './topics.js';

type JsonObject = Record<string, unknown>;

/** JSON Schema (draft-07, AsyncAPI's default schema format) of one event type's envelope. */
function envelopeSchema(type: EventType): JsonObject {
  const schema = z.toJSONSchema(
    eventEnvelopeBaseSchema.extend({ type: z.literal(type), data: eventDataSchemas[type] }),
    {
      target: 'draft-7',
    },
  ) as JsonObject;
  delete schema.$schema;
  return schema;
}

const subjectName = (topic: Topic) => (topic === TOPICS.products ? 'product id' : 'order id');
const messageId = (type: EventType) => type.replaceAll('.', '_');
const channelId = (topic: string) => topic.replace('.dlq', 'DeadLetters');

/** Which service publishes each topic and which services consume it (the saga's wiring). */
const PRODUCERS: Record<Topic, string> = {
  [TOPICS.orders]: 'order-service',
  [TOPICS.payments]: 'payment-service',
  [TOPICS.products]: 'product-service',
};
const CONSUMERS: Record<Topic, string[]> = {
  [TOPICS.orders]: ['payment-service', 'product-service'],
  [TOPICS.payments]: ['order-service'],
  // Each gateway replica reads every catalog change (a group of its own) to update its cache.
  [TOPICS.products]: ['gateway'],
};

/**
 * The AsyncAPI 3.0 document of Mercato's events, generated from the same zod schemas the
 * producers and consumers validate with — the event-side counterpart of the gateway's OpenAPI.
 */
export function buildAsyncApiDocument(version = '1.0.0'): JsonObject {
  const types = Object.keys(eventDataSchemas) as EventType[];
  const topics = Object.values(TOPICS);
  const messages = Object.fromEntries(
    types.map((type) => [
      messageId(type),
      {
        name: type,
        title: type,
        contentType: 'application/json',
        summary: `${type} on the ${EVENT_TOPICS[type]} topic; the record key is the ${subjectName(EVENT_TOPICS[type])} (subject).`,
        headers: {
          type: 'object',
          properties: {
            traceparent: {
              type: 'string',
              description: 'W3C trace context of the request that caused the event',
            },
          },
        },
        payload: envelopeSchema(type),
      },
    ]),
  );
  const channelMessages = (topic: Topic) =>
    Object.fromEntries(
      types
        .filter((type) => EVENT_TOPICS[type] === topic)
        .map((type) => [messageId(type), { $ref: `#/components/messages/${messageId(type)}` }]),
    );
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  for (const topic of topics) {
    channels[topic] = {
      address: topic,
      description: `Events of the ${topic} topic, keyed by ${subjectName(topic)}.`,
      messages: channelMessages(topic),
    };
    channels[channelId(deadLetterTopic(topic))] = {
      address: deadLetterTopic(topic),
      description: `Records of ${topic} that a consumer could not process, with x-error-* headers.`,
    };
    operations[`${PRODUCERS[topic]}.publish.${topic}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${topic}` },
      summary: `${PRODUCERS[topic]} publishes through its transactional outbox.`,
    };
    for (const consumer of CONSUMERS[topic]) {
      operations[`${consumer}.consume.${topic}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${topic}` },
        summary: `${consumer} consumes idempotently (inbox table); failures go to ${deadLetterTopic(topic)}.`,
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Mercato events',
      version,
      description: 'The checkout saga: order, payment and product services talking through Kafka.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}
