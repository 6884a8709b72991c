import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createEvent, serializeEvent, type EventEnvelope } from '@mercato/contracts';
import { migrate, type Database, type Queryable } from '@mercato/db';
import { createTestPglite } from '@mercato/db/testing';
import { createLogger, getLogContext, type LogContext } from '@mercato/logger';
import { kafkaMetrics } from '@mercato/metrics';
import { Registry } from 'prom-client';
import {
  type EventContext,
  type EventHandler,
  type RowInsert,
  type RowUpdate,
} from './consumer-types.js';
import { ConsumerStoppingError, PermanentEventError } from './errors.js';
import {
  MessageProcessor,
  type DeliveryControl,
  type IncomingMessage,
} from './message-processor.js';
import { MESSAGING_MIGRATIONS } from './migrations.js';
import { outboxValues } from './outbox.js';
import { type OutgoingRecord } from './publisher.js';

const GROUP = 'payment-service';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function orderCancelled(orderId: string = crypto.randomUUID()): EventEnvelope {
  return createEvent('order.cancelled.v1', 'order-service', { orderId, reason: 'customer asked' });
}

function messageOf(
  value: Buffer | string | null,
  offset = '7',
  headers?: IncomingMessage['headers'],
): IncomingMessage {
  return {
    topic: 'orders',
    partition: 1,
    offset,
    key: Buffer.from('order-key'),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    ...(headers ? { headers } : {}),
  };
}

/** A dead-letter sink that keeps what it was given and can be told to fail first. */
class DeadLetters {
  readonly records: OutgoingRecord[] = [];
  failuresLeft = 0;

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('broker unavailable');
    }
    this.records.push(...records);
  }
}

describe('MessageProcessor', () => {
  let db: Database;
  let deadLetters: DeadLetters;
  let registry: Registry;
  let control: DeliveryControl & { heartbeats: number; stop(): void };

  beforeAll(async () => {
    db = await createTestPglite();
    await migrate(db, MESSAGING_MIGRATIONS);
    await db.exec('CREATE TABLE effects (event_id uuid PRIMARY KEY, note text NOT NULL)');
    await db.exec('CREATE TABLE states (id text PRIMARY KEY, status text NOT NULL)');
    await db.exec(
      'CREATE TABLE charges (id uuid PRIMARY KEY, order_id text NOT NULL UNIQUE, amount_minor bigint NOT NULL, charged_at timestamptz NOT NULL DEFAULT now())',
    );
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    await db.exec('TRUNCATE effects, processed_events, states, charges, outbox');
    deadLetters = new DeadLetters();
    registry = new Registry();
    const stopping = new AbortController();
    control = {
      heartbeats: 0,
      signal: stopping.signal,
      heartbeatIntervalMs: 5,
      async heartbeat() {
        control.heartbeats += 1;
      },
      stop: () => stopping.abort(),
    };
  });

  function processor(
    handler: EventHandler,
    overrides: {
      maxAttempts?: number;
      eventTypes?: string[];
      inboxPrecheck?: boolean;
      database?: Database;
    } = {},
  ) {
    return new MessageProcessor({
      groupId: GROUP,
      db: overrides.database ?? db,
      handler,
      inboxPrecheck: overrides.inboxPrecheck ?? true,
      maxAttempts: overrides.maxAttempts ?? 3,
      backoff: { initial: 1, max: 4 },
      infrastructureBackoff: { initial: 1, max: 4 },
      eventTypes: overrides.eventTypes ? new Set(overrides.eventTypes) : undefined,
      deadLetters,
      metrics: kafkaMetrics(registry),
      logger: createLogger({ service: 'test', level: 'silent' }),
      now: () => new Date('2026-03-04T05:06:07.000Z'),
    });
  }

  /** The database, counting what the processor sends to it. */
  function countingDatabase(statements: string[]): Database {
    return new Proxy(db, {
      get(target, property, receiver) {
        if (property === 'query')
          return (text: string, values?: unknown[]) => {
            statements.push(text);
            return target.query(text, values);
          };
        if (property === 'transaction')
          return (fn: (tx: Queryable) => Promise<unknown>) => {
            statements.push('BEGIN');
            return target.transaction(fn);
          };
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (value as (...args: unknown[]) => unknown).bind(target);
      },
    });
  }

  const recordEffect: EventHandler = ({ event, transaction }) =>
    transaction(async (tx) => {
      await tx.query('INSERT INTO effects (event_id, note) VALUES ($1, $2)', [
        event.id,
        event.type,
      ]);
    });

  async function effects(): Promise<number> {
    const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM effects');
    return rows[0]?.count ?? 0;
  }

  async function inbox(): Promise<
    Array<{ consumer_group: string; event_id: string; event_type: string }>
  > {
    const { rows } = await db.query<{
      consumer_group: string;
      event_id: string;
      event_type: string;
    }>('SELECT consumer_group, event_id, event_type FROM processed_events');
    return rows;
  }

  it('runs the handler once, committing its change together with the inbox row', async () => {
    const event = orderCancelled();

    const result = await processor(recordEffect).process(messageOf(serializeEvent(event)), control);

    expect(result).toBe('processed');
    expect(await effects()).toBe(1);
    expect(await inbox()).toEqual([
      { consumer_group: GROUP, event_id: event.id, event_type: 'order.cancelled.v1' },
    ]);
  });

  it('skips a redelivered event without calling the handler again', async () => {
    const event = orderCancelled();
    let calls = 0;
    const handler: EventHandler = async (context) => {
      calls += 1;
      await recordEffect(context);
    };
    const subject = processor(handler);

    await subject.process(messageOf(serializeEvent(event), '7'), control);
    const second = await subject.process(messageOf(serializeEvent(event), '8'), control);

    expect(second).toBe('duplicate');
    expect(calls).toBe(1);
    expect(await effects()).toBe(1);
    expect(await registry.metrics()).toContain(
      'kafka_consumer_processing_seconds_count{topic="orders",outcome="duplicate"} 1',
    );
  });

  it('rolls the change back when another delivery recorded the event first', async () => {
    const event = orderCancelled();
    const handler: EventHandler = async (context) => {
      // Another delivery (e.g. on a replica that got the partition after a rebalance) commits first.
      await db.query(
        'INSERT INTO processed_events (consumer_group, event_id, event_type) VALUES ($1, $2, $3)',
        [GROUP, event.id, event.type],
      );
      await recordEffect(context);
    };

    const result = await processor(handler).process(messageOf(serializeEvent(event)), control);

    expect(result).toBe('duplicate');
    expect(await effects()).toBe(0);
  });

  it('records the event itself when the handler made no transactional change', async () => {
    const event = orderCancelled();
    const seen: EventContext[] = [];

    await processor(async (context) => void seen.push(context)).process(
      messageOf(serializeEvent(event), '7', { traceparent: TRACEPARENT }),
      control,
    );

    expect(
      seen.map(({ event: e, topic, partition, offset, attempt, headers }) => ({
        e,
        topic,
        partition,
        offset,
        attempt,
        headers,
      })),
    ).toEqual([
      {
        e: event,
        topic: 'orders',
        partition: 1,
        offset: '7',
        attempt: 1,
        headers: { traceparent: TRACEPARENT },
      },
    ]);
    expect(await inbox()).toHaveLength(1);
  });

  describe('with the inbox pre-check off', () => {
    it('lets a redelivery reach the handler, whose transaction finds the event recorded and rolls back', async () => {
      const event = orderCancelled();
      let calls = 0;
      const handler: EventHandler = async (context) => {
        calls += 1;
        await recordEffect(context);
      };
      const subject = processor(handler, { inboxPrecheck: false });

      const first = await subject.process(messageOf(serializeEvent(event), '7'), control);
      const second = await subject.process(messageOf(serializeEvent(event), '8'), control);

      expect([first, second]).toEqual(['processed', 'duplicate']);
      expect(calls).toBe(2);
      expect(await effects()).toBe(1);
      expect(await inbox()).toHaveLength(1);
    });

    it('runs a handler outside any transaction again on a redelivery, and records nothing for it', async () => {
      const event = orderCancelled();
      let calls = 0;
      const subject = processor(async () => void (calls += 1), { inboxPrecheck: false });

      await subject.process(messageOf(serializeEvent(event), '7'), control);
      const second = await subject.process(messageOf(serializeEvent(event), '8'), control);

      expect(second).toBe('processed');
      expect(calls).toBe(2);
      expect(await inbox()).toEqual([]);
    });
  });

  it('runs the handler in a log context carrying the trace, the event and the order', async () => {
    const event = orderCancelled('order-42');
    let context: LogContext | undefined;

    await processor(async () => {
      context = getLogContext();
    }).process(
      messageOf(serializeEvent(event), '7', { traceparent: Buffer.from(TRACEPARENT) }),
      control,
    );

    expect(context).toEqual(
      expect.objectContaining({
        traceparent: TRACEPARENT,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        eventId: event.id,
        eventType: 'order.cancelled.v1',
        orderId: 'order-42',
      }),
    );
  });

  it('retries a failing handler with backoff, heartbeating, and succeeds on a later attempt', async () => {
    const attempts: number[] = [];
    const handler: EventHandler = async (context) => {
      attempts.push(context.attempt);
      if (context.attempt < 3) throw new Error('order service unavailable');
      await recordEffect(context);
    };

    const result = await processor(handler).process(
      messageOf(serializeEvent(orderCancelled())),
      control,
    );

    expect(result).toBe('processed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(await effects()).toBe(1);
    expect(control.heartbeats).toBeGreaterThanOrEqual(2);
    expect(deadLetters.records).toEqual([]);
    expect(await registry.metrics()).toContain(
      'kafka_consumer_messages_failed_total{topic="orders"} 2',
    );
  });

  it('dead-letters an event whose handler fails every attempt, with the last error', async () => {
    const value = serializeEvent(orderCancelled());
    let calls = 0;
    const handler: EventHandler = async (context) => {
      calls += 1;
      throw new Error(`attempt ${context.attempt} failed`);
    };

    const result = await processor(handler, { maxAttempts: 3 }).process(
      messageOf(value, '7', { traceparent: TRACEPARENT }),
      control,
    );

    expect(result).toBe('dead_lettered');
    expect(calls).toBe(3);
    expect(deadLetters.records).toEqual([
      {
        topic: 'orders.dlq',
        key: 'order-key',
        value,
        headers: {
          traceparent: TRACEPARENT,
          'x-error-message': 'attempt 3 failed',
          'x-error-type': 'Error',
          'x-original-topic': 'orders',
          'x-original-partition': '1',
          'x-original-offset': '7',
          'x-consumer-group': GROUP,
          'x-attempts': '3',
          'x-failed-at': '2026-03-04T05:06:07.000Z',
        },
      },
    ]);
    expect(await inbox()).toEqual([]);
    expect(await registry.metrics()).toContain(
      'kafka_consumer_messages_dead_lettered_total{topic="orders"} 1',
    );
  });

  it('dead-letters at once, without retries, on a PermanentEventError', async () => {
    let calls = 0;
    const handler: EventHandler = async () => {
      calls += 1;
      throw new PermanentEventError('order does not exist');
    };

    await processor(handler).process(messageOf(serializeEvent(orderCancelled())), control);

    expect(calls).toBe(1);
    expect(deadLetters.records[0]?.headers).toEqual(
      expect.objectContaining({ 'x-error-type': 'PermanentEventError', 'x-attempts': '1' }),
    );
  });

  it.each([
    ['not JSON', '{"id": '],
    ['JSON that is not an event', JSON.stringify({ id: 'nope', type: 'order.created.v1' })],
    [
      'an event of an unknown type',
      JSON.stringify({ ...orderCancelled(), type: 'order.exploded.v1' }),
    ],
  ])('dead-letters %s at once, without calling the handler', async (_kind, value) => {
    let calls = 0;

    const result = await processor(async () => void (calls += 1)).process(
      messageOf(value),
      control,
    );

    expect(result).toBe('dead_lettered');
    expect(calls).toBe(0);
    expect(deadLetters.records).toEqual([
      expect.objectContaining({
        topic: 'orders.dlq',
        value: Buffer.from(value),
        headers: expect.objectContaining({
          'x-error-type': 'InvalidEventError',
          'x-attempts': '1',
        }),
      }),
    ]);
  });

  it('skips event types it was not asked for, leaving no trace', async () => {
    let calls = 0;

    const result = await processor(async () => void (calls += 1), {
      eventTypes: ['order.paid.v1'],
    }).process(messageOf(serializeEvent(orderCancelled())), control);

    expect(result).toBe('skipped');
    expect(calls).toBe(0);
    expect(await inbox()).toEqual([]);
  });

  it('keeps retrying a dead-letter publish that fails, without calling the handler again', async () => {
    deadLetters.failuresLeft = 2;
    let calls = 0;

    const result = await processor(async () => {
      calls += 1;
      throw new PermanentEventError('never');
    }).process(messageOf(serializeEvent(orderCancelled())), control);

    expect(result).toBe('dead_lettered');
    expect(calls).toBe(1);
    expect(deadLetters.records).toHaveLength(1);
  });

  it('stops retrying when the consumer stops, leaving the message uncommitted', async () => {
    let calls = 0;
    const handler: EventHandler = async () => {
      calls += 1;
      control.stop();
      throw new Error('still failing');
    };

    await expect(
      processor(handler).process(messageOf(serializeEvent(orderCancelled())), control),
    ).rejects.toThrow(ConsumerStoppingError);
    expect(calls).toBe(1);
    expect(deadLetters.records).toEqual([]);
    expect(await inbox()).toEqual([]);
  });

  it('lets a rebalance interrupt a retry wait (the heartbeat fails), leaving the message uncommitted', async () => {
    const rebalancing = Object.assign(new Error('The group is rebalancing'), {
      type: 'REBALANCE_IN_PROGRESS',
    });
    control.heartbeat = async () => {
      throw rebalancing;
    };

    await expect(
      processor(async () => {
        throw new Error('failing');
      }).process(messageOf(serializeEvent(orderCancelled())), control),
    ).rejects.toBe(rebalancing);
    expect(deadLetters.records).toEqual([]);
  });

  describe('updateOnce', () => {
    const pay = (id: string): RowUpdate => ({
      table: 'states',
      set: 'status = $2',
      where: 'id = $1 AND status = $3',
      values: [id, 'PAID', 'PENDING'],
    });
    const announce = (id: string) =>
      createEvent('order.paid.v1', 'order-service', {
        orderId: id,
        paymentId: 'pay-1',
        total: { amountMinor: 1299, currency: 'EUR' },
      });
    async function stateOf(id: string): Promise<string | undefined> {
      const { rows } = await db.query<{ status: string }>(
        'SELECT status FROM states WHERE id = $1',
        [id],
      );
      return rows[0]?.status;
    }
    async function outboxRows() {
      const { rows } = await db.query<Record<string, unknown>>(
        'SELECT event_id, topic, message_key, event_type, payload, headers FROM outbox ORDER BY id',
      );
      return rows;
    }
    it('updates the row, records the event and appends the announcement in one statement', async () => {
      await db.query("INSERT INTO states (id, status) VALUES ('s-1', 'PENDING')");
      const event = orderCancelled();
      const paid = announce('s-1');
      const statements: string[] = [];
      let changed: boolean | undefined;
      const handler: EventHandler = async (context) => {
        changed = await context.updateOnce(pay('s-1'), paid);
      };

      const result = await processor(handler, {
        inboxPrecheck: false,
        database: countingDatabase(statements),
      }).process(messageOf(serializeEvent(event)), control);

      expect(result).toBe('processed');
      expect(changed).toBe(true);
      expect(statements).toHaveLength(1);
      expect(await stateOf('s-1')).toBe('PAID');
      expect(await inbox()).toEqual([
        { consumer_group: GROUP, event_id: event.id, event_type: event.type },
      ]);
      // The outbox row appendToOutbox would have written, value for value.
      const [id, topic, key, type, payload, headers] = outboxValues(paid);
      expect(await outboxRows()).toEqual([
        {
          event_id: id,
          topic,
          message_key: key,
          event_type: type,
          payload: JSON.parse(payload as string) as unknown,
          headers: JSON.parse(headers as string) as unknown,
        },
      ]);
    });

    it('changes nothing and announces nothing on a redelivery', async () => {
      await db.query("INSERT INTO states (id, status) VALUES ('s-2', 'PENDING')");
      const event = orderCancelled();
      const handler: EventHandler = async (context) => {
        await context.updateOnce(pay('s-2'), announce('s-2'));
      };
      const subject = processor(handler, { inboxPrecheck: false });
      await subject.process(messageOf(serializeEvent(event), '7'), control);
      // Put the row back where the update found it: only the inbox can stop a second update now.
      await db.query("UPDATE states SET status = 'PENDING' WHERE id = 's-2'");

      const again = await subject.process(messageOf(serializeEvent(event), '8'), control);

      expect(again).toBe('duplicate');
      expect(await stateOf('s-2')).toBe('PENDING');
      expect(await outboxRows()).toHaveLength(1);
    });

    it('records the event but announces nothing when the update finds no row to change', async () => {
      await db.query("INSERT INTO states (id, status) VALUES ('s-3', 'CANCELLED')");
      const event = orderCancelled();
      let changed: boolean | undefined;
      const handler: EventHandler = async (context) => {
        changed = await context.updateOnce(pay('s-3'), announce('s-3'));
      };

      const result = await processor(handler, { inboxPrecheck: false }).process(
        messageOf(serializeEvent(event)),
        control,
      );

      expect(result).toBe('processed');
      expect(changed).toBe(false);
      expect(await stateOf('s-3')).toBe('CANCELLED');
      expect(await inbox()).toHaveLength(1);
      expect(await outboxRows()).toEqual([]);
    });
  });

  describe('insertOnce', () => {
    const charge = (orderId: string, id: string = crypto.randomUUID()): RowInsert => ({
      table: 'charges',
      columns: ['id', 'order_id', 'amount_minor'],
      values: [id, orderId, 1299],
    });
    const announce = (orderId: string) =>
      createEvent('payment.succeeded.v1', 'payment-service', {
        orderId,
        paymentId: crypto.randomUUID(),
        amount: { amountMinor: 1299, currency: 'EUR' },
        providerReference: 'ref-1',
      });
    async function chargeRows() {
      const { rows } = await db.query<{ id: string; order_id: string; amount_minor: number }>(
        'SELECT id, order_id, amount_minor FROM charges ORDER BY order_id',
      );
      return rows;
    }
    async function announced() {
      const { rows } = await db.query<{ event_id: string; event_type: string }>(
        'SELECT event_id, event_type FROM outbox ORDER BY id',
      );
      return rows;
    }

    it('inserts the row, records the event and appends the announcement in one statement', async () => {
      const event = orderCancelled();
      const id = crypto.randomUUID();
      const succeeded = announce('o-1');
      const statements: string[] = [];
      let inserted: boolean | undefined;
      const handler: EventHandler = async (context) => {
        inserted = await context.insertOnce(charge('o-1', id), succeeded);
      };

      const result = await processor(handler, {
        inboxPrecheck: false,
        database: countingDatabase(statements),
      }).process(messageOf(serializeEvent(event)), control);

      expect(result).toBe('processed');
      expect(inserted).toBe(true);
      expect(statements).toHaveLength(1);
      // The values arrive typed by their columns: a uuid, a bigint.
      expect(await chargeRows()).toEqual([{ id, order_id: 'o-1', amount_minor: 1299 }]);
      expect(await inbox()).toEqual([
        { consumer_group: GROUP, event_id: event.id, event_type: event.type },
      ]);
      expect(await announced()).toEqual([
        { event_id: succeeded.id, event_type: 'payment.succeeded.v1' },
      ]);
    });

    it('inserts nothing and announces nothing on a redelivery', async () => {
      const event = orderCancelled();
      const handler: EventHandler = async (context) => {
        // A new payment id each attempt, as a handler that made one up would: only the inbox
        // can stop the second row.
        await context.insertOnce(charge(`o-2-${context.offset}`), announce('o-2'));
      };
      const subject = processor(handler, { inboxPrecheck: false });
      await subject.process(messageOf(serializeEvent(event), '7'), control);

      const again = await subject.process(messageOf(serializeEvent(event), '8'), control);

      expect(again).toBe('duplicate');
      expect((await chargeRows()).map((row) => row.order_id)).toEqual(['o-2-7']);
      expect(await announced()).toHaveLength(1);
    });

    it('records the event but announces nothing when the row would break a unique constraint', async () => {
      await db.query("INSERT INTO charges (id, order_id, amount_minor) VALUES ($1, 'o-3', 500)", [
        crypto.randomUUID(),
      ]);
      const event = orderCancelled();
      let inserted: boolean | undefined;
      const handler: EventHandler = async (context) => {
        inserted = await context.insertOnce(charge('o-3'), announce('o-3'));
      };

      const result = await processor(handler, { inboxPrecheck: false }).process(
        messageOf(serializeEvent(event)),
        control,
      );

      expect(result).toBe('processed');
      expect(inserted).toBe(false);
      expect((await chargeRows()).map((row) => row.amount_minor)).toEqual([500]);
      expect(await inbox()).toHaveLength(1);
      expect(await announced()).toEqual([]);
    });

    it('refuses columns that do not match the values, before anything is written', async () => {
      const event = orderCancelled();
      const handler: EventHandler = async (context) => {
        await context.insertOnce(
          { table: 'charges', columns: ['id', 'order_id'], values: [crypto.randomUUID()] },
          announce('o-4'),
        );
      };

      await expect(
        processor(handler, { inboxPrecheck: false, maxAttempts: 1 }).process(
          messageOf(serializeEvent(event)),
          control,
        ),
      ).resolves.toBe('dead_lettered');
      expect(await inbox()).toEqual([]);
      expect(await chargeRows()).toEqual([]);
    });
  });

  it('refuses a second transaction in one attempt instead of reporting a duplicate', async () => {
    const handler: EventHandler = async (context) => {
      await recordEffect(context);
      await context.transaction(async () => undefined);
    };

    const result = await processor(handler, { maxAttempts: 1 }).process(
      messageOf(serializeEvent(orderCancelled())),
      control,
    );

    expect(result).toBe('dead_lettered');
    expect(deadLetters.records[0]?.headers?.['x-error-message']).toMatch(/call it once/);
  });
});
