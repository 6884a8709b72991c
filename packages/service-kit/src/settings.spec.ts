import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@mercato/config';
import { messagingSchema } from './settings.js';

const BROKERS = { KAFKA_BROKERS: 'kafka-0:9092' };

describe('messagingSchema retention settings', () => {
  it('keeps published outbox rows 7 days and inbox rows 14 days, sweeping every 10 minutes', () => {
    const config = loadConfig(messagingSchema, { env: BROKERS });

    expect(config).toMatchObject({
      OUTBOX_RETENTION: 7 * 86_400_000,
      INBOX_RETENTION: 14 * 86_400_000,
      RETENTION_SWEEP_INTERVAL: 600_000,
    });
  });

  it('reads retentions written in days', () => {
    const config = loadConfig(messagingSchema, {
      env: {
        ...BROKERS,
        OUTBOX_RETENTION: '3d',
        INBOX_RETENTION: '30d',
        RETENTION_SWEEP_INTERVAL: '1h',
      },
    });

    expect(config).toMatchObject({
      OUTBOX_RETENTION: 3 * 86_400_000,
      INBOX_RETENTION: 30 * 86_400_000,
      RETENTION_SWEEP_INTERVAL: 3_600_000,
    });
  });

  it('rejects a zero retention and a sweep interval beyond one day, naming each variable', () => {
    expect(() =>
      loadConfig(messagingSchema, {
        name: 'order-service',
        env: {
          ...BROKERS,
          OUTBOX_RETENTION: '0',
          INBOX_RETENTION: '0d',
          RETENTION_SWEEP_INTERVAL: '2d',
        },
      }),
    ).toThrow(
      [
        'Invalid configuration for order-service (3 problems):',
        '  - OUTBOX_RETENTION: expected a duration longer than 0',
        '  - INBOX_RETENTION: expected a duration longer than 0',
        '  - RETENTION_SWEEP_INTERVAL: expected a duration longer than 0 and at most 1d',
      ].join('\n'),
    );
  });
});

describe('messagingSchema OUTBOX_POLL_INTERVAL', () => {
  it('polls every 200 ms unless told otherwise', () => {
    expect(loadConfig(messagingSchema, { env: BROKERS }).OUTBOX_POLL_INTERVAL).toBe(200);
  });

  it.each(['0', '0ms', '2d'])('rejects %p, which would busy-loop or overflow the timer', (raw) => {
    expect(() =>
      loadConfig(messagingSchema, {
        name: 'order-service',
        env: { ...BROKERS, OUTBOX_POLL_INTERVAL: raw },
      }),
    ).toThrow('OUTBOX_POLL_INTERVAL: expected a duration longer than 0 and at most 1d');
  });
});
