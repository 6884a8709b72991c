import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  acquireKafka,
  isKafkaReachable,
  kafkaStatus,
  KAFKA_VERSION,
  runEnsureCommand,
  stopKafka,
} from '../src/index.js';
import { isPortOpen, isProcessAlive } from '../src/processes.js';
import { processesMentioning, START_TIMEOUT_MS, textBuffer } from './helpers.js';

/** Port of a `host:port` broker address. */
const portOf = (broker: string | undefined) => Number(broker?.split(':')[1]);

// A private state directory: these tests start and stop their own brokers, apart from the one
// that other test runs on this machine may be sharing.
describe('a harness Kafka broker shared through leases', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'harness-kafka-sharing-'));
  });
  afterAll(async () => {
    await stopKafka({ stateDir });
    await rm(stateDir, { recursive: true, force: true });
  });

  it(
    'is started once for two simultaneous acquireKafka() calls and stopped by the last release',
    async () => {
      const options = { stateDir, externalBrokers: [], docker: false };

      const [first, second] = await Promise.all([acquireKafka(options), acquireKafka(options)]);

      expect(second.brokers).toEqual(first.brokers);
      expect([first.started, second.started].sort()).toEqual([false, true]);
      expect(await processesMentioning(stateDir)).toHaveLength(1);
      const status = await kafkaStatus({ stateDir });
      expect(status?.holders).toEqual([process.pid, process.pid]);
      const pid = status?.instance.pid ?? 0;

      await first.release();
      expect(await isKafkaReachable(second.brokers)).toBe(true);

      await second.release();
      expect(await isProcessAlive(pid)).toBe(false);
      expect(await isPortOpen(portOf(second.brokers[0]))).toBe(false);
      expect(await kafkaStatus({ stateDir })).toBeUndefined();
    },
    START_TIMEOUT_MS,
  );

  // The command's own broker, even when the shell running the suite points KAFKA_BROKERS at another.
  let givenBrokers: string | undefined;
  beforeAll(() => {
    givenBrokers = process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_BROKERS;
  });
  afterAll(() => {
    if (givenBrokers !== undefined) process.env.KAFKA_BROKERS = givenBrokers;
  });

  it(
    'is kept running by `ensure-kafka` until `ensure-kafka stop`',
    async () => {
      const started = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('kafka', [], started, { stateDir })).toBe(0);
      const address = started.stdout.text().trim();
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(started.stderr.text()).toContain(`started Kafka ${KAFKA_VERSION}`);

      const lease = await acquireKafka({ stateDir, externalBrokers: [], docker: false });
      await lease.release();
      expect(await isKafkaReachable([address])).toBe(true);

      const again = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('kafka', ['start'], again, { stateDir })).toBe(0);
      expect(again.stdout.text().trim()).toBe(address);
      expect(again.stderr.text()).toContain('reusing the running broker');

      const stop = { stdout: textBuffer(), stderr: textBuffer() };
      expect(await runEnsureCommand('kafka', ['stop'], stop, { stateDir })).toBe(0);
      expect(stop.stderr.text()).toContain('stopped');
      expect(await isPortOpen(portOf(address))).toBe(false);
    },
    START_TIMEOUT_MS,
  );
});
