import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireKafka, isKafkaReachable, kafkaStatus, type KafkaLease } from '@mercato/harness';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A Kafka broker of this suite alone (never the one other suites share), which can be stopped and
 * started again on the same ports with the same data — a broker outage, as the shop sees it.
 */
export class PrivateBroker {
  #pid: number;

  private constructor(
    private readonly lease: KafkaLease,
    private readonly stateDir: string,
    pid: number,
  ) {
    this.#pid = pid;
  }

  static async start(): Promise<PrivateBroker> {
    const stateDir = await mkdtemp(join(tmpdir(), 'mercato-e2e-kafka-'));
    const lease = await acquireKafka({ stateDir, externalBrokers: [], docker: false });
    const status = await kafkaStatus({ stateDir });
    if (!status) throw new Error('the private broker did not record its process');
    return new PrivateBroker(lease, stateDir, status.instance.pid);
  }

  get brokers(): string {
    return this.lease.brokers.join(',');
  }

  /**
   * Stops the broker process (SIGTERM, a clean shutdown), keeps it down for `downtimeMs`, then runs
   * the very same command line again and waits until it answers. Resolves the time it was down.
   */
  async outage(downtimeMs: number): Promise<number> {
    const commandLine = (await readFile(`/proc/${this.#pid}/cmdline`, 'utf8'))
      .split('\0')
      .filter(Boolean);
    const began = Date.now();
    process.kill(this.#pid, 'SIGTERM');
    while (isAlive(this.#pid)) await sleep(100);
    await sleep(Math.max(0, downtimeMs - (Date.now() - began)));
    const log = openSync(join(this.stateDir, 'restarted-broker.log'), 'a');
    const broker = spawn(commandLine[0]!, commandLine.slice(1), {
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    broker.unref();
    this.#pid = broker.pid!;
    while (!(await isKafkaReachable(this.lease.brokers, 1_000))) await sleep(250);
    return Date.now() - began;
  }

  async stop(): Promise<void> {
    // The harness recorded the first process; a restarted one is this suite's to stop.
    if (isAlive(this.#pid)) process.kill(this.#pid, 'SIGTERM');
    for (let waited = 0; isAlive(this.#pid) && waited < 20_000; waited += 100) await sleep(100);
    if (isAlive(this.#pid)) process.kill(this.#pid, 'SIGKILL');
    await this.lease.release();
    await rm(this.stateDir, { recursive: true, force: true });
  }
}
