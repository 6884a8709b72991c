import { describe, expect, it } from '@jest/globals';
import type { Database } from '@mercato/db';
import { createLogger } from '@mercato/logger';
import { eventually } from '@mercato/harness';
import { MemoryDestination } from '@mercato/logger/testing';
import { DATABASE } from '../src/index.js';
import { FIXTURE_SERVICE, startRetentionService } from './support/fixture-service.js';
import { promtoolCheckMetrics, sampleValue } from './support/probes.js';

const DAY_MS = 24 * 3_600_000;

/** Rows left in the outbox (by message key) and in the inbox (by consumer group). */
async function rowsLeft(db: Database): Promise<{ outbox: string[]; inbox: string[] }> {
  const outbox = await db.query<{ label: string }>(
    'SELECT message_key AS label FROM outbox ORDER BY id',
  );
  const inbox = await db.query<{ label: string }>(
    'SELECT consumer_group AS label FROM processed_events ORDER BY processed_at',
  );
  return {
    outbox: outbox.rows.map((row) => row.label),
    inbox: inbox.rows.map((row) => row.label),
  };
}

describe('a service with MessagingRetentionModule', () => {
  it('deletes expired outbox and inbox rows in the background, counts them in /metrics, and shuts down without a failed sweep', async () => {
    const logs = new MemoryDestination();
    const service = await startRetentionService({
      logger: createLogger({ service: FIXTURE_SERVICE, destination: logs }),
      retention: {
        lockKey: `${FIXTURE_SERVICE}:messaging-retention`,
        outboxRetentionMs: 7 * DAY_MS,
        inboxRetentionMs: 14 * DAY_MS,
        // Sweeps back to back, so one is likely in flight when the service shuts down; it must
        // finish (beforeApplicationShutdown) before the database closes (onApplicationShutdown).
        intervalMs: 10,
      },
    });
    try {
      const db = service.app.get<Database>(DATABASE);
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, created_at, published_at)
           SELECT gen_random_uuid(), 'orders', label, 'order.created.v1', '{}'::jsonb,
                  now() - created_ago::interval, now() - published_ago::interval
             FROM (VALUES ('published-8-days-ago', '8 days', '8 days'),
                          ('published-9-days-ago', '9 days', '9 days'),
                          ('unpublished-for-a-month', '30 days', NULL),
                          ('published-1-day-ago', '1 day', '1 day'))
                  AS rows (label, created_ago, published_ago)`,
        );
        await tx.query(
          `INSERT INTO processed_events (consumer_group, event_id, event_type, processed_at)
           SELECT label, gen_random_uuid(), 'order.created.v1', now() - processed_ago::interval
             FROM (VALUES ('processed-15-days-ago', '15 days'),
                          ('processed-13-days-ago', '13 days'))
                  AS rows (label, processed_ago)`,
        );
      });

      await eventually(async () =>
        expect(await rowsLeft(db)).toEqual({
          outbox: ['unpublished-for-a-month', 'published-1-day-ago'],
          inbox: ['processed-13-days-ago'],
        }),
      );
      const exposition = await (await fetch(`${service.httpAddress}/metrics`)).text();
      const deleted = (table: string) =>
        sampleValue(exposition, 'messaging_retention_deleted_rows_total', {
          table,
          service: FIXTURE_SERVICE,
        });
      expect(deleted('outbox')).toBe(2);
      expect(deleted('processed_events')).toBe(1);
      expect(exposition).toMatch(
        new RegExp(`^messaging_retention_failures_total\\{service="${FIXTURE_SERVICE}"\\} 0$`, 'm'),
      );
      expect(await promtoolCheckMetrics(exposition)).toEqual({ exitCode: 0, output: '' });
    } finally {
      await service.close();
    }

    const records = logs.records();
    expect(records.filter((line) => line.component === 'messaging-retention')).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Deleted expired outbox and inbox rows',
        outboxRowsDeleted: 2,
        inboxRowsDeleted: 1,
      }),
    ]);
    expect(records.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([]);
  });
});
