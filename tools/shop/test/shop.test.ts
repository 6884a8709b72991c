import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { childEnvironment } from '@mercato/config';
import { createTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { launchShop, serviceNodeOptions, type RunningShop } from '../src/index.js';
import { ShopApi } from '../src/testing.js';

const BIN = fileURLToPath(new URL('../bin/mercato-shop.js', import.meta.url));

/** The `pnpm start` command line, run as a user runs it, with its output collected. */
class ShopCommand {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: childEnvironment({ KAFKA_BROKERS: testInfraEnvironment().kafkaBrokers.join(',') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      const ended = await Promise.race([
        this.exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
      if (ended && !this.output.match(pattern))
        throw new Error(`the command ended without printing ${pattern}:\n${this.output}`);
    }
  }
}

const accepts = (address: string) =>
  new Promise<boolean>((resolve) => {
    const [host, port] = address.replace('http://', '').split(':');
    const socket = connect(Number(port), host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Pids of the processes whose command line mentions `text` (here: the shop's data directory). */
async function processesMentioning(text: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

async function buyOne(api: ShopApi, paymentToken: string) {
  const [product] = (await api.allProducts()).filter((candidate) => candidate.stockAvailable > 5);
  const placed = await api.placeOrder([{ productId: product!.id, quantity: 1 }], paymentToken);
  expect(placed.status).toBe(201);
  return api.waitForTerminal(placed.body.id);
}

describe('pnpm start (the mercato-shop command)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mercato-shop-cli-'));
    // The shop's PostgreSQL server may run as the postgres OS user, which must reach its data.
    await chmod(dataDir, 0o755);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts the shop, serves a browse → order → PAID journey, and Ctrl-C stops every process', async () => {
    const command = new ShopCommand(['--free-ports', '--data-dir', dataDir, '--log-level', 'warn']);
    try {
      const [, gatewayUrl] = await command.waitFor(/Storefront {2}(http:\/\/localhost:\d+)\//);
      expect(command.output).toMatch(/API docs {4}http:\/\/localhost:\d+\/docs/);
      const listening = [
        ...command.output.matchAll(
          /ready in [\d.]+ s \((?:gRPC ([\d.:]+), )?(http:\/\/[\d.:]+)\)/g,
        ),
      ]
        .flatMap((match) => [match[1], match[2]])
        .filter((address): address is string => address !== undefined);
      expect(listening).toHaveLength(7);
      // The banner says where the data is, what the shop holds, process by process, and where
      // traces go. This machine has PostgreSQL, so the shop runs a server of its own.
      expect(command.output).toMatch(/Data {8}PostgreSQL \d+\.\d+, a database per service/);
      expect(command.output).toMatch(
        /Memory {6}(?:[\w#]+ [\d,]+ MiB, ){5,}[\w#]+ [\d,]+ MiB: [\d,]+ MiB in all \(RSS at start-up; [\d,]+ MiB with shared pages counted once\)/,
      );
      expect(command.output).toMatch(/, postgres [\d,]+ MiB/);
      // Off, saying why, unless this machine has a Jaeger or an OTLP endpoint for the shop.
      expect(command.output).toMatch(/Traces {6}(?:off \(see above\)|http:\/\/\S+)/);

      const api = await ShopApi.signIn(gatewayUrl!, 'demo-alice');
      const order = await buyOne(api, 'tok_success');
      expect(order.status).toBe('PAID');

      command.child.kill('SIGINT');
      expect(await command.exited).toBe(0);
      expect(command.output).toContain('stopped; nothing left running.');
      for (const address of listening) expect(await accepts(address)).toBe(false);
      expect(await processesMentioning(join(dataDir, 'postgres'))).toEqual([]);
    } finally {
      command.child.kill('SIGKILL');
    }

    // The shop's PostgreSQL keeps the data: the next start still has the customer's order.
    const again = new ShopCommand(['--free-ports', '--data-dir', dataDir, '--log-level', 'warn']);
    try {
      const [, gatewayUrl] = await again.waitFor(/Storefront {2}(http:\/\/localhost:\d+)\//);
      const api = await ShopApi.signIn(gatewayUrl!, 'demo-alice');
      const history = await api.request<{ orders: Array<{ status: string }> }>('GET', '/orders');
      expect(history.body.orders.map((order) => order.status)).toEqual(['PAID']);
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      again.child.kill('SIGKILL');
    }
    // Two cold starts of four Node processes and a PostgreSQL server on a busy 2-core machine.
  }, 240_000);

  it('rejects a bad option with the usage text and exit code 2', async () => {
    const command = new ShopCommand(['--replicas', 'orders=2']);
    expect(await command.exited).toBe(2);
    expect(command.output).toContain('unknown service "orders"');
  });
});

describe('launchShop with replicas', () => {
  let shop: RunningShop;

  beforeAll(async () => {
    const server = testInfraEnvironment().databaseUrl!;
    shop = await launchShop({
      replicas: { product: 2, gateway: 2 },
      kafkaBrokers: testInfraEnvironment().kafkaBrokers.join(','),
      kafkaNamespace: `shop-test-${process.pid}.`,
      databaseUrls: {
        product: await createTestDatabase(server, 'shop_product'),
        order: await createTestDatabase(server, 'shop_order'),
        payment: await createTestDatabase(server, 'shop_payment'),
      },
      dataDir: await mkdtemp(join(tmpdir(), 'mercato-shop-lib-')),
      logLevel: 'warn',
    });
  });
  afterAll(() => shop?.stop());

  it('runs every replica on ports of its own and keeps serving while one product copy is down', async () => {
    expect(shop.instances.map((instance) => instance.name)).toEqual([
      'product#0',
      'product#1',
      'order#0',
      'payment#0',
      'gateway#0',
      'gateway#1',
    ]);
    const api = await ShopApi.signIn(shop.instancesOf('gateway')[1]!.httpUrl, 'demo-bob');

    const killed = shop.instancesOf('product')[0]!;
    const pid = killed.pid!;
    await shop.kill('product', 0);
    expect(killed.running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    // The gateway and the order service balance over both product copies and route around the dead one.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await buyOne(api, 'tok_success')).status).toBe('PAID');
    }

    await shop.start('product', 0);
    expect(killed.running).toBe(true);
    expect((await fetch(`${killed.httpUrl}/health/ready`)).status).toBe(200);
  });

  it('gives its two gateways one Redis, so a client has one rate-limit budget across both', async () => {
    const [first, second] = shop.instancesOf('gateway');
    const remaining: number[] = [];
    for (const gateway of [first, second, first, second]) {
      const response = await fetch(`${gateway!.httpUrl}/api/v1/categories`);
      expect(response.status).toBe(200);
      remaining.push(Number(/r=(\d+);/.exec(response.headers.get('ratelimit') ?? '')?.[1]));
    }
    // Counted in one place: each answer, whichever gateway gave it, has one request fewer left.
    expect(remaining.slice(1)).toEqual([remaining[0]! - 1, remaining[0]! - 2, remaining[0]! - 3]);
  });

  it('measures the resident memory of every process it runs', async () => {
    const memory = await shop.memory();
    expect(memory.map((process) => process.name)).toEqual(
      expect.arrayContaining([...shop.instances.map((instance) => instance.name), 'redis']),
    );
    for (const instance of shop.instances) {
      const measured = memory.find((process) => process.name === instance.name)!;
      expect(measured.pid).toBe(instance.pid);
      // A Node.js service holds tens of MiB at the least, and less than its pod's limit.
      expect(measured.rssBytes).toBeGreaterThan(20 * 2 ** 20);
      expect(measured.rssBytes).toBeLessThan(1024 * 2 ** 20);
    }
  });

  it("runs every instance with its image's Node.js flags (the Dockerfile's NODE_OPTIONS)", async () => {
    const commandLines = await Promise.all(
      shop.instances.map(async (instance) => {
        const cmdline = await readFile(`/proc/${instance.pid}/cmdline`, 'utf8');
        return { instance: instance.name, flags: cmdline.split('\0').slice(1, -2) };
      }),
    );
    expect(commandLines).toEqual(
      shop.instances.map((instance) => ({
        instance: instance.name,
        flags: serviceNodeOptions(instance.service),
      })),
    );
  });

  it('stops every process it started', async () => {
    const pids = shop.instances.map((instance) => instance.pid!);
    await shop.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
