import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import { logLevel } from 'kafkajs';
import { kafkajsLogCreator, kafkajsLogLevel } from './kafka-logging.js';

describe('kafkajs logging', () => {
  it('writes kafkajs lines through the pino logger with their level and details', () => {
    const destination = new MemoryDestination();
    const logger = createLogger({ service: 'test', level: 'info', destination });
    const log = kafkajsLogCreator(logger)(logLevel.INFO);

    log({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 'now',
        message: 'Crash: KafkaJSConnectionError',
        logger: 'kafkajs',
        groupId: 'g',
      },
    });
    log({
      namespace: 'Runner',
      level: logLevel.DEBUG,
      label: 'DEBUG',
      log: { timestamp: 'now', message: 'noise' },
    });

    expect(destination.records()).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'Crash: KafkaJSConnectionError',
        component: 'kafkajs',
        kafkaNamespace: 'Consumer',
        groupId: 'g',
      }),
    ]);
    expect(destination.records()[0]).not.toHaveProperty('timestamp');
  });

  it('logs a retried protocol error response as a warning, other errors as errors', () => {
    const destination = new MemoryDestination();
    const logger = createLogger({ service: 'test', level: 'info', destination });
    const log = kafkajsLogCreator(logger)(logLevel.INFO);
    const entry = (namespace: string, message: string) => ({
      namespace,
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 'now', message, error: 'The group is rebalancing, so a rejoin is needed' },
    });

    log(entry('Connection', 'Response Heartbeat(key: 12, version: 3)'));
    log(entry('Connection', 'Connection error: ECONNREFUSED'));

    expect(destination.records().map((record) => [record.level, record.msg])).toEqual([
      ['warn', 'Response Heartbeat(key: 12, version: 3)'],
      ['error', 'Connection error: ECONNREFUSED'],
    ]);
  });

  it('keeps the expected warning about finite producer retries out of warn level', () => {
    const destination = new MemoryDestination();
    const logger = createLogger({ service: 'test', level: 'info', destination });

    kafkajsLogCreator(logger)(logLevel.INFO)({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: {
        timestamp: 'now',
        message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      },
    });

    expect(destination.records()).toEqual([]);
  });

  it('asks kafkajs for no more detail than the logger writes', () => {
    const level = (pinoLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent') =>
      kafkajsLogLevel(createLogger({ service: 'test', level: pinoLevel }));

    expect([level('debug'), level('info'), level('warn'), level('error'), level('silent')]).toEqual(
      [logLevel.DEBUG, logLevel.INFO, logLevel.WARN, logLevel.ERROR, logLevel.NOTHING],
    );
  });
});
