import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Database, type Queryable } from '@mercato/db';
import { Registry } from 'prom-client';
import { MessagingRetention, type MessagingRetentionOptions } from '../src/index.js';
import {
  eventually,
  pgliteBackend,
  postgresBackend,
  testLogger,
  uniqueName,
  type TestBackend,
} from './support.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const OUTBOX_RETENTION_MS = 7 * DAY_MS;
const INBOX_RETENTION_MS = 14 * DAY_MS;
const PASS_FAILED = 'Messaging retention pass failed; trying again next interval';

/**
 * Appends `count` outbox rows labelled `label` (their message key), created and published the given
 * PostgreSQL intervals ago; `publishedAgo: null` leaves them unpublished.
 */
async function insertOutboxRows(
  db: Queryable,
  label: string,
  count: number,
  age: { createdAgo: string; publishedAgo: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, created_at, published_at)
     SELECT gen_random_uuid(), 'orders', $1, 'order.created.v1', '{}'::jsonb,
            now() - $3::interval, now() - $4::interval
       FROM generate_series(1, $2::int)`,
    [label, count, age.createdAgo, age.publishedAgo],
  );
}

/** Records `count` processed events for consumer group `group`, processed `processedAgo`. */
async function insertInboxRows(
  db: Queryable,
  group: string,
  count: number,
  processedAgo: string,
): Promise<void> {
  await db.query(
    `INSERT INTO processed_events (consumer_group, event_id, event_type, processed_at)
     SELECT $1, gen_random_uuid(), 'order.created.v1', now() - $3::interval
       FROM generate_series(1, $2::int)`,
    [group, count, processedAgo],
  );
}

/** Outbox rows left, per label. */
async function outboxRows(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ label: string; count: number }>(
    'SELECT message_key AS label, count(*)::int AS count FROM outbox GROUP BY message_key',
  );
  return Object.fromEntries(rows.map(({ label, count }) => [label, count]));
}

/** Inbox rows left, per consumer group. */
async function inboxRows(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ label: string; count: number }>(
    'SELECT consumer_group AS label, count(*)::int AS count FROM processed_events GROUP BY consumer_group',
  );
  return Object.fromEntries(rows.map(({ label, count }) => [label, count]));
}

/** The value of `messaging_retention_deleted_rows_total{table}`. */
async function deletedRowsMetric(registry: Registry, table: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('messaging_retention_deleted_rows_total')?.get();
  return metric?.values.find((sample) => sample.labels.table === table)?.value;
}

/** The value of `messaging_retention_failures_total`. */
async function failuresMetric(registry: Registry): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('messaging_retention_failures_total')?.get();
  return metric?.values[0]?.value;
}

describe.each([pgliteBackend(), postgresBackend()])(
  'MessagingRetention on $kind',
  (backend: TestBackend) => {
    afterAll(async () => {
      await backend.cleanup();
    });

    function retentionFor(
      db: Database,
      overrides: Partial<MessagingRetentionOptions> = {},
    ): MessagingRetention {
      return new MessagingRetention({
        db,
        lockKey: uniqueName('retention'),
        outboxRetentionMs: OUTBOX_RETENTION_MS,
        inboxRetentionMs: INBOX_RETENTION_MS,
        intervalMs: DAY_MS,
        logger: testLogger().logger,
        ...overrides,
      });
    }

    it('deletes published outbox rows past their retention and expired inbox rows, nothing else', async () => {
      const db = await backend.open();
      // In id order: a month-old row the relay never published, the expired published rows, rows
      // still within retention, and an expired row published out of order after newer ones.
      await insertOutboxRows(db, 'unpublished-old', 3, {
        createdAgo: '30 days',
        publishedAgo: null,
      });
      await insertOutboxRows(db, 'published-8-days-ago', 5, {
        createdAgo: '8 days 1 minute',
        publishedAgo: '8 days',
      });
      await insertOutboxRows(db, 'created-30-days-ago-published-now', 2, {
        createdAgo: '30 days',
        publishedAgo: '1 hour',
      });
      await insertOutboxRows(db, 'published-6-days-ago', 4, {
        createdAgo: '6 days',
        publishedAgo: '6 days',
      });
      await insertOutboxRows(db, 'unpublished-new', 2, {
        createdAgo: '1 second',
        publishedAgo: null,
      });
      await insertOutboxRows(db, 'published-20-days-ago', 1, {
        createdAgo: '20 days',
        publishedAgo: '20 days',
      });
      await insertInboxRows(db, 'processed-15-days-ago', 6, '15 days');
      await insertInboxRows(db, 'processed-13-days-ago', 3, '13 days');
      await insertInboxRows(db, 'processed-now', 2, '0 seconds');
      const registry = new Registry();
      const retention = retentionFor(db, { registry });
      expect(await deletedRowsMetric(registry, 'outbox')).toBe(0);
      expect(await deletedRowsMetric(registry, 'processed_events')).toBe(0);

      expect(await retention.sweepOnce()).toEqual({ outbox: 6, inbox: 6 });

      expect(await outboxRows(db)).toEqual({
        'unpublished-old': 3,
        'created-30-days-ago-published-now': 2,
        'published-6-days-ago': 4,
        'unpublished-new': 2,
      });
      expect(await inboxRows(db)).toEqual({ 'processed-13-days-ago': 3, 'processed-now': 2 });
      expect(await deletedRowsMetric(registry, 'outbox')).toBe(6);
      expect(await deletedRowsMetric(registry, 'processed_events')).toBe(6);

      expect(await retention.sweepOnce()).toEqual({ outbox: 0, inbox: 0 });
      expect(await deletedRowsMetric(registry, 'outbox')).toBe(6);
    });

    it('deletes more rows than one batch holds in a single pass', async () => {
      const db = await backend.open();
      await insertOutboxRows(db, 'expired', 25, { createdAgo: '9 days', publishedAgo: '9 days' });
      await insertOutboxRows(db, 'unpublished', 12, { createdAgo: '9 days', publishedAgo: null });
      await insertInboxRows(db, 'expired', 30, '20 days');
      await insertInboxRows(db, 'recent', 4, '1 day');
      const registry = new Registry();
      const retention = retentionFor(db, { batchSize: 10, registry });

      expect(await retention.sweepOnce()).toEqual({ outbox: 25, inbox: 30 });

      expect(await outboxRows(db)).toEqual({ unpublished: 12 });
      expect(await inboxRows(db)).toEqual({ recent: 4 });
      expect(await deletedRowsMetric(registry, 'outbox')).toBe(25);
      expect(await deletedRowsMetric(registry, 'processed_events')).toBe(30);
    });

    it('deletes nothing while another replica holds the lock, and sweeps once it is free', async () => {
      const db = await backend.open();
      const replica = await backend.replicaOf(db);
      await insertOutboxRows(db, 'expired', 4, { createdAgo: '10 days', publishedAgo: '10 days' });
      await insertInboxRows(db, 'expired', 3, '30 days');
      const lockKey = uniqueName('retention');
      const retention = retentionFor(db, { lockKey });
      const otherReplica = await replica.tryAdvisoryLock(lockKey);
      expect(otherReplica).not.toBeNull();

      expect(await retention.sweepOnce()).toEqual({ outbox: 0, inbox: 0 });
      expect(await outboxRows(db)).toEqual({ expired: 4 });
      expect(await inboxRows(db)).toEqual({ expired: 3 });

      await otherReplica?.release();
      expect(await retention.sweepOnce()).toEqual({ outbox: 4, inbox: 3 });
      expect(await outboxRows(db)).toEqual({});
      expect(await inboxRows(db)).toEqual({});
    });

    it('sweeps when started and then on every interval, and stops cleanly with the lock free', async () => {
      const db = await backend.open();
      const replica = await backend.replicaOf(db);
      await insertOutboxRows(db, 'expired', 3, { createdAgo: '8 days', publishedAgo: '8 days' });
      await insertInboxRows(db, 'expired', 2, '15 days');
      const { logger, lines } = testLogger();
      const lockKey = uniqueName('retention');
      const retention = retentionFor(db, { lockKey, intervalMs: 50, logger });

      retention.start();
      await eventually(async () => {
        expect(await outboxRows(db)).toEqual({});
        expect(await inboxRows(db)).toEqual({});
      });
      // Rows that expire after the first pass are removed by a later one.
      await db.transaction(async (tx) => {
        await insertOutboxRows(tx, 'expired-later', 2, {
          createdAgo: '9 days',
          publishedAgo: '9 days',
        });
        await insertInboxRows(tx, 'expired-later', 5, '16 days');
      });
      await eventually(async () => {
        expect(await outboxRows(db)).toEqual({});
        expect(await inboxRows(db)).toEqual({});
      });
      await retention.stop();
      await retention.stop();

      const lock = await replica.tryAdvisoryLock(lockKey);
      expect(lock).not.toBeNull();
      await lock?.release();
      const logged = lines.records();
      expect(logged.filter((line) => line.msg === 'Deleted expired outbox and inbox rows')).toEqual(
        [
          expect.objectContaining({ outboxRowsDeleted: 3, inboxRowsDeleted: 2 }),
          expect.objectContaining({ outboxRowsDeleted: 2, inboxRowsDeleted: 5 }),
        ],
      );
      expect(logged.filter((line) => line.level === 'warn')).toEqual([]);
    });

    it('logs a failed pass, keeps running and succeeds on a later interval', async () => {
      const db = await backend.open();
      await insertOutboxRows(db, 'expired', 3, { createdAgo: '8 days', publishedAgo: '8 days' });
      await insertInboxRows(db, 'expired', 4, '15 days');
      await db.exec('ALTER TABLE processed_events RENAME TO processed_events_elsewhere');
      const { logger, lines } = testLogger();
      const registry = new Registry();
      const retention = retentionFor(db, { intervalMs: 50, logger, registry });

      retention.start();
      await eventually(() =>
        expect(lines.records().filter((line) => line.msg === PASS_FAILED)).not.toEqual([]),
      );
      // The outbox part of the failed pass was done, and counted.
      expect(await outboxRows(db)).toEqual({});
      expect(await deletedRowsMetric(registry, 'outbox')).toBe(3);
      expect(await failuresMetric(registry)).toBeGreaterThanOrEqual(1);
      const failure = lines.records().find((line) => line.msg === PASS_FAILED);
      expect(failure).toMatchObject({
        level: 'warn',
        component: 'messaging-retention',
        retryInMs: 50,
        err: { message: expect.stringContaining('processed_events') },
      });

      await db.exec('ALTER TABLE processed_events_elsewhere RENAME TO processed_events');
      await eventually(async () => expect(await inboxRows(db)).toEqual({}));
      await retention.stop();
      expect(await deletedRowsMetric(registry, 'processed_events')).toBe(4);
    });
  },
);

describe('MessagingRetention stopping mid-pass on PostgreSQL', () => {
  const backend = postgresBackend();

  afterAll(async () => {
    await backend.cleanup();
  });

  it('finishes the batch in flight, leaves the rest for the next pass and frees the lock', async () => {
    const db = await backend.open();
    const replica = await backend.replicaOf(db);
    await insertOutboxRows(db, 'expired', 25, { createdAgo: '8 days', publishedAgo: '8 days' });
    await insertInboxRows(db, 'expired', 5, '15 days');
    const registry = new Registry();
    const lockKey = uniqueName('retention');
    const retention = new MessagingRetention({
      db,
      lockKey,
      outboxRetentionMs: OUTBOX_RETENTION_MS,
      inboxRetentionMs: INBOX_RETENTION_MS,
      intervalMs: DAY_MS,
      batchSize: 10,
      logger: testLogger().logger,
      registry,
    });
    let releaseRow: () => void = () => undefined;
    const rowReleased = new Promise<void>((resolve) => (releaseRow = resolve));
    let rowLocked: () => void = () => undefined;
    const rowIsLocked = new Promise<void>((resolve) => (rowLocked = resolve));
    // Another transaction holds the oldest row, so the sweep's first DELETE waits for it.
    const holder = replica.transaction(async (tx) => {
      await tx.query('SELECT id FROM outbox WHERE id = (SELECT min(id) FROM outbox) FOR UPDATE');
      rowLocked();
      await rowReleased;
    });
    await rowIsLocked;

    retention.start();
    await eventually(async () => {
      const { rows } = await replica.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'
            AND query LIKE '%DELETE FROM outbox%'`,
      );
      expect(rows[0]?.waiting).toBe(1);
    });
    const stopped = retention.stop();
    releaseRow();
    await holder;
    await stopped;

    expect(await outboxRows(db)).toEqual({ expired: 15 });
    expect(await inboxRows(db)).toEqual({ expired: 5 });
    expect(await deletedRowsMetric(registry, 'outbox')).toBe(10);
    const lock = await replica.tryAdvisoryLock(lockKey);
    expect(lock).not.toBeNull();
    await lock?.release();

    expect(await retention.sweepOnce()).toEqual({ outbox: 15, inbox: 5 });
  });
});

describe('MessagingRetention options', () => {
  const backend = pgliteBackend();
  let db: Database;

  beforeAll(async () => {
    db = await backend.open();
  });

  afterAll(async () => {
    await backend.cleanup();
  });

  it.each([
    [
      { outboxRetentionMs: 0 },
      'outboxRetentionMs must be a positive number of milliseconds, got 0',
    ],
    [
      { inboxRetentionMs: -1 },
      'inboxRetentionMs must be a positive number of milliseconds, got -1',
    ],
    [{ intervalMs: Number.NaN }, 'intervalMs must be a positive number of milliseconds, got NaN'],
    [{ intervalMs: 30 * DAY_MS }, 'intervalMs must be at most 2147483647 (about 24.8 days), got'],
    [{ batchSize: 2.5 }, 'batchSize must be a positive integer, got 2.5'],
  ])('rejects %p', (override, message) => {
    expect(
      () =>
        new MessagingRetention({
          db,
          lockKey: 'retention',
          outboxRetentionMs: OUTBOX_RETENTION_MS,
          inboxRetentionMs: INBOX_RETENTION_MS,
          intervalMs: DAY_MS,
          logger: testLogger().logger,
          ...override,
        }),
    ).toThrow(message);
  });
});
