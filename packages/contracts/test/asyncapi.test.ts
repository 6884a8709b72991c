import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { buildAsyncApiDocument } from '../src/asyncapi.js';
import { createEvent, eventDataSchemas } from '../src/events.js';

const require = createRequire(import.meta.url);

describe('AsyncAPI document', () => {
  const document = buildAsyncApiDocument();

  it('is a valid AsyncAPI 3.0 document', () => {
    const specSchema = require('@asyncapi/specs/schemas/3.0.0-without-$id.json') as object;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const valid = ajv.validate(specSchema, document);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('documents every event type on its topic, and the dead-letter topics', () => {
    const channels = document.channels as Record<
      string,
      { address: string; messages?: Record<string, unknown> }
    >;
    expect(
      Object.values(channels)
        .map((channel) => channel.address)
        .sort(),
    ).toEqual(['orders', 'orders.dlq', 'payments', 'payments.dlq', 'products', 'products.dlq']);
    const documented = Object.values(channels).flatMap((channel) =>
      Object.keys(channel.messages ?? {}),
    );
    expect(documented.sort()).toEqual(
      Object.keys(eventDataSchemas)
        .map((type) => type.replaceAll('.', '_'))
        .sort(),
    );
  });

  it('describes payloads that real events satisfy and broken ones do not', () => {
    const messages = (document.components as { messages: Record<string, { payload: object }> })
      .messages;
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(messages['order_cancelled_v1']!.payload);
    const event = createEvent('order.cancelled.v1', 'order-service', {
      orderId: 'o-1',
      reason: 'card_declined',
    });
    expect(validate(JSON.parse(JSON.stringify(event)))).toBe(true);
    expect(validate({ ...event, data: { orderId: 'o-1' } })).toBe(false);
  });
});
