import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, url, z } from '@mercato/config';
import { launchShop, type ProcessMemory, type RunningShop, type ShopEvent } from './launch-shop.js';
import { repositoryRoot, SHOP_SERVICES, type ShopService } from './services.js';

const USAGE = `Usage: pnpm start [options]

Runs the whole shop on this machine: a Kafka broker (KAFKA_BROKERS, else Docker, else Apache
Kafka's jars on the local JVM), the product, order and payment services and the gateway. The
services' data is in a PostgreSQL server of the shop's own (.mercato/postgres, kept between runs)
when this machine has the PostgreSQL server programs, else in PGlite embedded in each service
(.mercato/data), or in the databases PRODUCT_/ORDER_/PAYMENT_DATABASE_URL name.

Options:
  --replicas LIST     copies per service, e.g. order=2,payment=2 (several copies need PostgreSQL;
                      several gateways share rate limits through a redis-server, if installed)
  --gateway-port N    port of the gateway (default 8080; 0 = any free port)
  --free-ports        any free ports for every service instead of 8080/50051/8081…
  --data-dir DIR      data and logs (default .mercato)
  --reset             delete the data first (a fresh catalog and no orders)
  --pglite            embed PGlite in each service even when PostgreSQL is installed (~300 MiB
                      more per service)
  --log-level LEVEL   trace|debug|info|warn|error (default info; logs go to <data-dir>/logs)
  --no-tracing        record no spans (by default: OTEL_EXPORTER_OTLP_ENDPOINT if set, else a
                      local Jaeger if \`pnpm jaeger:install\` built one, else none)
  -h, --help          this text
`;

const databaseUrls = z.object({
  PRODUCT_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  ORDER_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  PAYMENT_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
});

/** Parses `order=2,payment=2`. */
export function parseReplicas(text: string): Partial<Record<ShopService, number>> {
  const replicas: Partial<Record<ShopService, number>> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [name, count] = part.split('=');
    if (!SHOP_SERVICES.includes(name as ShopService))
      throw new Error(`--replicas: unknown service "${name}" (one of ${SHOP_SERVICES.join(', ')})`);
    const value = Number(count);
    if (!Number.isInteger(value) || value < 1 || value > 8)
      throw new Error(`--replicas: ${name} needs a count from 1 to 8, got "${count}"`);
    replicas[name as ShopService] = value;
  }
  return replicas;
}

/** Output of the command: progress on stderr-like lines, the summary on stdout. */
export interface ShopCliIo {
  out: (line: string) => void;
  onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => void;
}

/** `pnpm start`: starts the shop, prints where it is, and runs until Ctrl-C. Resolves the exit code. */
export async function runShopCli(args: readonly string[], io: ShopCliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        replicas: { type: 'string', default: '' },
        'gateway-port': { type: 'string' },
        'free-ports': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        reset: { type: 'boolean', default: false },
        pglite: { type: 'boolean', default: false },
        'log-level': { type: 'string', default: 'info' },
        'no-tracing': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    io.out(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  let replicas;
  let gatewayPort: number | undefined;
  let env;
  try {
    replicas = parseReplicas(values.replicas);
    if (values['gateway-port'] !== undefined) {
      gatewayPort = Number(values['gateway-port']);
      if (!Number.isInteger(gatewayPort) || gatewayPort < 0 || gatewayPort > 65_535)
        throw new Error(`--gateway-port: not a port: "${values['gateway-port']}"`);
    }
    env = loadConfig(databaseUrls, { name: 'mercato-shop' });
  } catch (error) {
    io.out((error as Error).message);
    return 2;
  }
  const dataDir = values['data-dir'] ?? join(repositoryRoot(), '.mercato');
  if (values.reset)
    for (const data of ['data', 'postgres'])
      await rm(join(dataDir, data), { recursive: true, force: true });

  const began = Date.now();
  let shop: RunningShop | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopRequested = false;
  const stop = (code: number) => {
    if (stopRequested) return;
    stopRequested = true;
    io.out('mercato: stopping…');
    void (shop?.stop() ?? Promise.resolve()).then(() => {
      io.out('mercato: stopped; nothing left running.');
      finish(code);
    });
  };
  io.onSignal('SIGINT', () => stop(0));
  io.onSignal('SIGTERM', () => stop(0));

  try {
    shop = await launchShop({
      replicas,
      dataDir,
      ports: values['free-ports'] ? 'free' : 'default',
      ...(gatewayPort !== undefined ? { gatewayPort } : {}),
      logLevel: values['log-level'],
      tracing: values['no-tracing'] ? 'off' : 'auto',
      database: values.pglite ? 'pglite' : 'auto',
      databaseUrls: {
        product: env.PRODUCT_DATABASE_URL,
        order: env.ORDER_DATABASE_URL,
        payment: env.PAYMENT_DATABASE_URL,
      },
      onEvent: (event) => {
        const line = describeEvent(event);
        if (line) io.out(`mercato: ${line}`);
        if (event.type === 'exited' && !stopRequested) {
          io.out(`mercato: ${event.instance} stopped unexpectedly; stopping the shop.`);
          stop(1);
        }
      },
    });
  } catch (error) {
    io.out(`mercato: the shop did not start: ${(error as Error).message}`);
    return 1;
  }
  if (stopRequested) return finished;
  const base = shop.gatewayUrl.replace('127.0.0.1', 'localhost');
  const memory = await shop.memory();
  const logs = relative(process.cwd(), join(dataDir, 'logs')) || '.';
  io.out(
    [
      '',
      `Mercato is running (ready in ${((Date.now() - began) / 1000).toFixed(1)} s).`,
      `  Storefront  ${base}/`,
      `  API docs    ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
      `  API         ${base}/api/v1/products`,
      `  Metrics     ${shop.instances.map((instance) => `${instance.httpUrl}/metrics`).join('\n              ')}`,
      `  Logs        ${logs}/<service>-<replica>.log (JSON lines)`,
      `  Data        ${describeDatabase(shop, (directory) => relative(process.cwd(), directory) || '.')}`,
      `  Traces      ${shop.tracing ? (shop.tracing.uiUrl ?? shop.tracing.endpoint) : 'off (see above)'}`,
      `  Memory      ${describeMemory(memory)}`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  return finished;
}

function describeEvent(event: ShopEvent): string | undefined {
  switch (event.type) {
    case 'note':
      return event.message;
    case 'broker':
      return `Kafka at ${event.brokers.join(',')} (${event.source}${event.started ? ', started now' : ''})`;
    case 'database':
      return `${event.service} data: ${event.kind === 'pglite' ? 'PGlite in' : 'PostgreSQL'} ${event.where}`;
    case 'postgres':
      return `${event.version} for the shop's data in ${event.directory} (${event.created ? 'created' : 'kept'}; started in ${(event.ms / 1000).toFixed(1)} s)`;
    case 'tracing':
      return `traces to ${event.endpoint} (${event.source === 'given' ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : `Jaeger ${event.source}`}${event.uiUrl ? `; UI ${event.uiUrl}` : ''})`;
    case 'starting':
      return `starting ${event.instance}…`;
    case 'ready':
      return `${event.instance} ready in ${(event.ms / 1000).toFixed(1)} s (${event.grpcAddress ? `gRPC ${event.grpcAddress}, ` : ''}${event.httpUrl})`;
    case 'exited':
      return `${event.instance} exited (${event.how})`;
    case 'stopping':
      return undefined;
    case 'stopped':
      return `${event.instance} stopped (${event.how})`;
  }
}

/** Where the services keep their data, for the banner. */
export function describeDatabase(
  shop: Pick<RunningShop, 'databases' | 'postgresServer'>,
  where: (directory: string) => string,
): string {
  if (shop.postgresServer)
    return `${shop.postgresServer.version}, a database per service (${where(shop.postgresServer.directory)})`;
  const using = (kind: 'pglite' | 'postgres') =>
    Object.entries(shop.databases)
      .filter(([, used]) => used === kind)
      .map(([service]) => service);
  const [pglite, postgres] = [using('pglite'), using('postgres')];
  if (postgres.length === 0) return 'PGlite embedded in each service (~300 MiB each)';
  if (pglite.length === 0) return 'PostgreSQL, a database per service';
  return `PostgreSQL for ${postgres.join(', ')}; PGlite embedded in ${pglite.join(', ')}`;
}

const mebibytes = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;

/**
 * `product#0 130 MiB, …, kafka 162 MiB: 1,000 MiB in all (RSS at start-up; 620 MiB with shared
 * pages counted once)`.
 */
export function describeMemory(processes: readonly ProcessMemory[]): string {
  if (processes.length === 0) return 'not measured (no /proc here)';
  const total = processes.reduce((sum, process) => sum + process.rssBytes, 0);
  const proportional = processes.every((process) => process.pssBytes !== undefined)
    ? `; ${mebibytes(processes.reduce((sum, process) => sum + process.pssBytes!, 0))} with shared pages counted once`
    : '';
  return (
    processes.map((process) => `${process.name} ${mebibytes(process.rssBytes)}`).join(', ') +
    `: ${mebibytes(total)} in all (RSS at start-up${proportional})`
  );
}
