import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_PORTS } from '@mercato/contracts';
import {
  acquireKafka,
  acquirePostgres,
  hasPostgresServer,
  kafkaStatus,
  type LocalPostgres,
  type PostgresLease,
  findRedisServer,
  type RedisServer,
  releasePort,
  reservePort,
  startLocalPostgres,
  startRedisServer,
} from '@mercato/harness';
import { findJaeger, JAEGER_PORTS, startJaeger, type TraceBackend } from './jaeger.js';
import { describeExit, type ProcessExit, ServiceProcess } from './service-process.js';
import {
  DATABASE_SERVICES,
  type DatabaseService,
  repositoryRoot,
  SHOP_SERVICES,
  servesGrpc,
  type ShopService,
} from './services.js';

/** What happens while the shop starts, runs and stops (the CLI prints these). */
export type ShopEvent =
  | { type: 'note'; message: string }
  | { type: 'broker'; brokers: readonly string[]; source: string; started: boolean }
  | { type: 'database'; service: DatabaseService; kind: 'pglite' | 'postgres'; where: string }
  /** The shop's own PostgreSQL server started (`database: 'postgres'`). */
  | { type: 'postgres'; version: string; directory: string; created: boolean; ms: number }
  | { type: 'tracing'; endpoint: string; uiUrl: string | undefined; source: string }
  | { type: 'starting'; instance: string }
  | { type: 'ready'; instance: string; ms: number; httpUrl: string; grpcAddress?: string }
  /** An instance ended without being asked to (a crash or a kill from outside). */
  | { type: 'exited'; instance: string; how: string }
  | { type: 'stopping'; instance: string }
  | { type: 'stopped'; instance: string; how: string };

/** How to run the shop; every field has a default. */
export interface LaunchOptions {
  /** Copies of each service (default 1). More than one of product/order/payment needs PostgreSQL. */
  replicas?: Partial<Record<ShopService, number>>;
  /** Kafka bootstrap brokers to use; else the harness finds or starts one. */
  kafkaBrokers?: string;
  /** Topic and consumer-group prefix, so several shops can share one broker (default none). */
  kafkaNamespace?: string;
  /** PostgreSQL URL per service; services without one use PGlite under `dataDir` (one replica) or a database the harness creates (several replicas). */
  databaseUrls?: Partial<Record<DatabaseService, string>>;
  /**
   * Where product, order and payment keep their data when no URL is given. `'pglite'` (the
   * default): embedded PGlite per service under `dataDir`, or — for several replicas — databases of
   * the harness's throw-away server. `'postgres'`: one PostgreSQL server of the shop's own, its
   * data in `<dataDir>/postgres` (kept between runs), a database per service; it needs the server
   * programs, and it is the light choice (PGlite holds ~300 MiB per service). `'auto'`:
   * `'postgres'` when this machine has the server programs, else `'pglite'`.
   */
  database?: 'auto' | 'pglite' | 'postgres';
  /** Root of the data directories and the log files (default `<repo>/.mercato`). */
  dataDir?: string;
  /** `'default'`: the well-known ports (8080, 50051…) for the first replica; `'free'`: any free ports (tests). Default `'free'`. */
  ports?: 'default' | 'free';
  /** Port of the first gateway; overrides `ports` for it (0 = free). */
  gatewayPort?: number;
  /** LOG_LEVEL of every service (default `info`). */
  logLevel?: string;
  /**
   * Where spans go: `'auto'` uses OTEL_EXPORTER_OTLP_ENDPOINT when set, else runs a local Jaeger
   * when there is a binary (`pnpm jaeger:install`), else runs without tracing and says why;
   * `'off'` (the default) records no spans; an object names an OTLP/HTTP endpoint.
   */
  tracing?: 'auto' | 'off' | { endpoint: string };
  /** Extra variables per service. */
  env?: Partial<Record<ShopService, Record<string, string>>>;
  /** How long one instance may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
  onEvent?: (event: ShopEvent) => void;
}

/** The resident memory of one process of the shop (a PostgreSQL server: with its backends). */
export interface ProcessMemory {
  name: string;
  pid: number;
  rssBytes: number;
  /**
   * Proportional set size: resident memory with each shared page (the Node binary's code, a
   * server's shared buffers) divided among the processes sharing it, so that PSS — unlike RSS —
   * adds up across processes to what they hold together. Undefined where the kernel does not say.
   */
  pssBytes?: number;
}

/** A service instance of a running shop. */
export interface ShopInstance {
  readonly service: ShopService;
  readonly replica: number;
  readonly name: string;
  /** The process id while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly httpUrl: string;
  readonly grpcAddress: string | undefined;
  readonly logFile: string;
}

/** The whole shop running as local processes. */
export interface RunningShop {
  /** Base URL of the first gateway: storefront, API, docs. */
  readonly gatewayUrl: string;
  readonly brokers: readonly string[];
  readonly kafkaNamespace: string;
  /** The trace backend the services send spans to, if any. */
  readonly tracing: { endpoint: string; uiUrl: string | undefined } | undefined;
  /** Every instance, in start-up order. */
  readonly instances: readonly ShopInstance[];
  /** The instances of one service. */
  instancesOf(service: ShopService): ShopInstance[];
  /** Where each service's data is: PGlite embedded in it, or a PostgreSQL database. */
  readonly databases: Readonly<Record<DatabaseService, 'pglite' | 'postgres'>>;
  /** The shop's own PostgreSQL server, when it runs one (`database: 'postgres'`). */
  readonly postgresServer: { version: string; directory: string } | undefined;
  /**
   * Resident memory (RSS) of each process of the shop this machine runs: the instances, the
   * harness's Kafka broker, the shop's PostgreSQL server (with its backends), the gateways'
   * Redis and the local Jaeger, when the shop uses them.
   */
  memory(): Promise<ProcessMemory[]>;
  /** Kills one instance (SIGKILL unless told otherwise), as a crash would. */
  kill(service: ShopService, replica?: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped or killed instance again on its ports and waits until it is ready. */
  start(service: ShopService, replica?: number): Promise<void>;
  /** Graceful SIGTERM stop of one instance, then a start on the same ports (a rolling-restart step). */
  restart(service: ShopService, replica?: number): Promise<void>;
  /** Stops everything gracefully (gateways first) and releases the broker and database leases. */
  stop(): Promise<void>;
}

const STOP_ORDER: readonly ShopService[][] = [['gateway'], ['order', 'payment'], ['product']];

/**
 * Starts the shop: a broker (given, else from the harness), a database per service, then every
 * instance of product, order and payment side by side and the gateways last, each ready before
 * this resolves. Failure to start stops whatever did start.
 */
export async function launchShop(options: LaunchOptions = {}): Promise<RunningShop> {
  const emit = options.onEvent ?? (() => undefined);
  const root = options.dataDir ?? join(repositoryRoot(), '.mercato');
  const logDir = join(root, 'logs');
  await mkdir(logDir, { recursive: true });
  const replicas = (service: ShopService) => {
    const count = options.replicas?.[service] ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 8)
      throw new RangeError(`replicas of ${service} must be 1–8, got ${count}`);
    return count;
  };
  const releases: Array<() => Promise<void>> = [];
  const instances: ServiceProcess[] = [];
  let stopping = false;

  const stopAll = async () => {
    stopping = true;
    for (const group of STOP_ORDER) {
      await Promise.all(
        instances
          .filter((instance) => group.includes(instance.service) && instance.running)
          .map(async (instance) => {
            emit({ type: 'stopping', instance: instance.name });
            const exit = await instance.stop();
            emit({ type: 'stopped', instance: instance.name, how: exit ? describeExit(exit) : '' });
          }),
      );
    }
    for (const release of releases.splice(0).reverse()) await release().catch(() => undefined);
  };

  try {
    const kafka = options.kafkaBrokers
      ? { brokers: options.kafkaBrokers.split(','), source: 'given', started: false }
      : await acquireKafka({ log: (message) => emit({ type: 'note', message }) }).then((lease) => {
          releases.push(() => lease.release());
          return lease;
        });
    emit({ type: 'broker', brokers: kafka.brokers, source: kafka.source, started: kafka.started });

    const backend = await traceBackend(options.tracing ?? 'off', root, logDir, emit);
    if (backend) {
      releases.push(() => backend.stop());
      emit({
        type: 'tracing',
        endpoint: backend.endpoint,
        uiUrl: backend.uiUrl,
        source: backend.source,
      });
    }
    const tracingEnv: Record<string, string> = backend
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint,
          OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER_ARG ?? '1',
        }
      : {};

    let postgres: PostgresLease | undefined;
    const local = await localPostgres(options, root, emit);
    if (local) releases.push(() => local.stop());
    const databaseEnv = {} as Record<DatabaseService, Record<string, string>>;
    for (const service of DATABASE_SERVICES) {
      const given = options.databaseUrls?.[service];
      if (given) {
        databaseEnv[service] = { DATABASE_URL: given };
        emit({ type: 'database', service, kind: 'postgres', where: redact(given) });
      } else if (local) {
        const url = await local.database(`shop_${service}`);
        databaseEnv[service] = { DATABASE_URL: url };
        emit({ type: 'database', service, kind: 'postgres', where: redact(url) });
      } else if (replicas(service) > 1) {
        // PGlite is one process's database; replicas share a PostgreSQL database instead.
        if (!postgres) {
          postgres = await acquirePostgres({ log: (message) => emit({ type: 'note', message }) });
          const lease = postgres;
          releases.push(() => lease.release());
        }
        const url = await postgres.createDatabase(`shop_${service}`);
        databaseEnv[service] = { DATABASE_URL: url };
        emit({ type: 'database', service, kind: 'postgres', where: redact(url) });
      } else {
        const dataDir = join(root, 'data', service);
        await mkdir(dataDir, { recursive: true });
        databaseEnv[service] = { DATA_DIR: dataDir };
        emit({ type: 'database', service, kind: 'pglite', where: dataDir });
      }
    }

    const limitsRedis = await sharedLimits(replicas('gateway'), options, emit);
    if (limitsRedis) releases.push(() => limitsRedis.close());

    const usedPorts = new Set<number>();
    const portFor = async (wellKnown: number | undefined): Promise<number> => {
      if (wellKnown !== undefined) {
        if (usedPorts.has(wellKnown) || !(await isPortFree(wellKnown)))
          throw new Error(
            `port ${wellKnown} is in use: stop what listens there, or pick other ports (--gateway-port, --free-ports)`,
          );
        usedPorts.add(wellKnown);
        return wellKnown;
      }
      // Reserved, not merely free now: an instance binds its ports seconds later, and again after
      // every restart, and a port the OS handed out meanwhile to another process (a listen(0) of
      // a suite running alongside, an outgoing connection) would fail it with EADDRINUSE — or
      // answer its readiness probe in its place.
      const port = await reservePort();
      usedPorts.add(port);
      releases.push(() => releasePort(port));
      return port;
    };
    const plan = new Map<ShopService, Array<{ http: number; grpc?: number }>>();
    for (const service of SHOP_SERVICES) {
      const ports = [];
      for (let replica = 0; replica < replicas(service); replica += 1) {
        const wellKnown = options.ports === 'default' && replica === 0;
        if (service === 'gateway') {
          const requested = replica === 0 ? options.gatewayPort : undefined;
          const http =
            requested === undefined
              ? await portFor(wellKnown ? DEFAULT_PORTS.gateway.http : undefined)
              : await portFor(requested === 0 ? undefined : requested);
          ports.push({ http });
        } else {
          ports.push({
            http: await portFor(wellKnown ? DEFAULT_PORTS[service].http : undefined),
            grpc: await portFor(wellKnown ? DEFAULT_PORTS[service].grpc : undefined),
          });
        }
      }
      plan.set(service, ports);
    }
    const addresses = (service: DatabaseService) =>
      plan
        .get(service)!
        .map((ports) => `127.0.0.1:${ports.grpc}`)
        .join(',');

    const kafkaNamespace = options.kafkaNamespace ?? '';
    const common = {
      ...tracingEnv,
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? 'info',
      // Clients balance over the replicas themselves; there is no load balancer to drain from.
      SHUTDOWN_DRAIN_DELAY: '0',
    };
    const messaging = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_NAMESPACE: kafkaNamespace };
    // One secret per shop, shared by its gateways, so a token survives a gateway restart.
    const jwtSecret = randomBytes(32).toString('base64url');
    const environmentOf = (service: ShopService, ports: { http: number; grpc?: number }) => {
      const own: Record<string, string> =
        service === 'gateway'
          ? {
              // The catalog cache's change feed (the products topic).
              ...messaging,
              ...(backend?.uiUrl ? { TRACE_UI_URL: backend.uiUrl } : {}),
              ...(limitsRedis ? { RATE_LIMIT_REDIS_URL: limitsRedis.url } : {}),
              JWT_SECRET: jwtSecret,
              PRODUCT_SERVICE_ADDRESSES: addresses('product'),
              ORDER_SERVICE_ADDRESSES: addresses('order'),
              PAYMENT_SERVICE_ADDRESSES: addresses('payment'),
            }
          : {
              ...messaging,
              ...databaseEnv[service],
              GRPC_PORT: String(ports.grpc),
              ...(service === 'order'
                ? {
                    PRODUCT_SERVICE_ADDRESSES: addresses('product'),
                    PAYMENT_SERVICE_ADDRESSES: addresses('payment'),
                  }
                : {}),
              ...(service === 'payment' ? { ORDER_SERVICE_ADDRESSES: addresses('order') } : {}),
            };
      return { ...common, HTTP_PORT: String(ports.http), ...own, ...options.env?.[service] };
    };

    // While the shop stops, an instance may exit before it is asked to (Ctrl-C in a terminal
    // signals the whole process group at once): that is a normal stop, not a crash.
    const onUnexpectedExit = (instance: ServiceProcess, exit: ProcessExit) =>
      emit(
        stopping
          ? { type: 'stopped', instance: instance.name, how: describeExit(exit) }
          : { type: 'exited', instance: instance.name, how: describeExit(exit) },
      );
    for (const service of SHOP_SERVICES) {
      plan.get(service)!.forEach((ports, replica) => {
        instances.push(
          new ServiceProcess(
            service,
            replica,
            ports,
            environmentOf(service, ports),
            join(logDir, `${service}-${replica}.log`),
            onUnexpectedExit,
          ),
        );
      });
    }

    const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    const startInstance = async (instance: ServiceProcess) => {
      emit({ type: 'starting', instance: instance.name });
      const began = Date.now();
      await instance.start(readyTimeoutMs);
      emit({
        type: 'ready',
        instance: instance.name,
        ms: Date.now() - began,
        httpUrl: instance.httpUrl,
        ...(instance.grpcAddress ? { grpcAddress: instance.grpcAddress } : {}),
      });
    };
    const backends = instances.filter((instance) => servesGrpc(instance.service));
    const results = await Promise.allSettled(backends.map(startInstance));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const gateway of instances.filter((instance) => instance.service === 'gateway'))
      await startInstance(gateway);

    const find = (service: ShopService, replica: number) => {
      const instance = instances.find(
        (candidate) => candidate.service === service && candidate.replica === replica,
      );
      if (!instance) throw new RangeError(`the shop has no ${service}#${replica}`);
      return instance;
    };
    const gateway = find('gateway', 0);
    return {
      gatewayUrl: gateway.httpUrl,
      brokers: kafka.brokers,
      kafkaNamespace,
      tracing: backend ? { endpoint: backend.endpoint, uiUrl: backend.uiUrl } : undefined,
      databases: Object.fromEntries(
        DATABASE_SERVICES.map((service) => [
          service,
          'DATABASE_URL' in databaseEnv[service] ? 'postgres' : 'pglite',
        ]),
      ) as Record<DatabaseService, 'pglite' | 'postgres'>,
      postgresServer: local
        ? { version: local.version, directory: join(root, 'postgres') }
        : undefined,
      instances,
      instancesOf: (service) => instances.filter((instance) => instance.service === service),
      async memory() {
        const processes: Array<{ name: string; pid: number | undefined; withChildren?: true }> =
          instances.map((instance) => ({ name: instance.name, pid: instance.pid }));
        if (kafka.source !== 'given') {
          const broker = await kafkaStatus().catch(() => undefined);
          if (broker && broker.instance.endpoint.brokers.join(',') === kafka.brokers.join(','))
            processes.push({ name: 'kafka', pid: broker.instance.pid });
        }
        if (local) processes.push({ name: 'postgres', pid: local.pid, withChildren: true });
        if (limitsRedis?.pid !== undefined) processes.push({ name: 'redis', pid: limitsRedis.pid });
        if (backend?.pid !== undefined) processes.push({ name: 'jaeger', pid: backend.pid });
        const measured: ProcessMemory[] = [];
        for (const { name, pid, withChildren } of processes) {
          if (pid === undefined) continue;
          const pids = withChildren ? [pid, ...(await childrenOf(pid))] : [pid];
          const rss = await Promise.all(pids.map(residentSetBytes));
          if (rss[0] === undefined) continue;
          const pss = await Promise.all(pids.map(proportionalSetBytes));
          measured.push({
            name,
            pid,
            rssBytes: sum(rss),
            ...(pss[0] === undefined ? {} : { pssBytes: sum(pss) }),
          });
        }
        return measured;
      },
      async kill(service, replica = 0, signal = 'SIGKILL') {
        const instance = find(service, replica);
        const exit = await instance.kill(signal);
        emit({ type: 'stopped', instance: instance.name, how: exit ? describeExit(exit) : '' });
      },
      start: (service, replica = 0) => startInstance(find(service, replica)),
      async restart(service, replica = 0) {
        const instance = find(service, replica);
        emit({ type: 'stopping', instance: instance.name });
        const exit = await instance.stop();
        emit({ type: 'stopped', instance: instance.name, how: exit ? describeExit(exit) : '' });
        await startInstance(instance);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * A Redis for the gateways' rate limits when there are several gateways, so they share one budget
 * per client as replicas behind a load balancer do (D36); one gateway counts in memory.
 */
async function sharedLimits(
  gateways: number,
  options: LaunchOptions,
  emit: (event: ShopEvent) => void,
): Promise<RedisServer | undefined> {
  if (gateways < 2 || options.env?.gateway?.RATE_LIMIT_REDIS_URL) return undefined;
  if (!(await findRedisServer())) {
    emit({
      type: 'note',
      message: `no redis-server here, so each of the ${gateways} gateways counts its rate limits on its own (Debian: redis-server)`,
    });
    return undefined;
  }
  const redis = await startRedisServer();
  emit({
    type: 'note',
    message: `Redis at ${redis.url}: the ${gateways} gateways share one rate-limit budget per client`,
  });
  return redis;
}

/** The shop's own PostgreSQL server, when `launchShop`'s `database` option asks for it. */
async function localPostgres(
  options: LaunchOptions,
  root: string,
  emit: (event: ShopEvent) => void,
): Promise<LocalPostgres | undefined> {
  const choice = options.database ?? 'pglite';
  if (choice === 'pglite') return undefined;
  if (DATABASE_SERVICES.every((service) => options.databaseUrls?.[service])) return undefined;
  if (choice === 'auto' && !(await hasPostgresServer())) {
    emit({
      type: 'note',
      message:
        'no PostgreSQL server programs here, so each service embeds PGlite (~300 MiB each); install PostgreSQL (Debian: postgresql) for a lighter shop',
    });
    return undefined;
  }
  const directory = join(root, 'postgres');
  const began = Date.now();
  let server: LocalPostgres;
  try {
    server = await startLocalPostgres({ directory });
  } catch (error) {
    if (choice === 'postgres') throw error;
    emit({
      type: 'note',
      message: `the shop's PostgreSQL server did not start, so each service embeds PGlite: ${(error as Error).message}`,
    });
    return undefined;
  }
  emit({
    type: 'postgres',
    version: server.version,
    directory,
    created: server.created,
    ms: Date.now() - began,
  });
  return server;
}

/**
 * The trace backend of `launchShop`'s `tracing` option. A backend that cannot be had is never a
 * reason not to start the shop: it says why and the shop runs without tracing.
 */
async function traceBackend(
  choice: NonNullable<LaunchOptions['tracing']>,
  root: string,
  logDir: string,
  emit: (event: ShopEvent) => void,
): Promise<TraceBackend | undefined> {
  if (choice === 'off') return undefined;
  const given =
    typeof choice === 'object' ? choice.endpoint : process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (given)
    return { endpoint: given, uiUrl: undefined, source: 'given', stop: async () => undefined };
  const binary = await findJaeger(root);
  if (!binary) {
    emit({
      type: 'note',
      message:
        'no trace backend: tracing is off. `pnpm jaeger:install` builds Jaeger v2 (Go ≥ 1.26, about 6 minutes once), or set OTEL_EXPORTER_OTLP_ENDPOINT to an OTLP/HTTP receiver',
    });
    return undefined;
  }
  for (const port of Object.values(JAEGER_PORTS)) {
    if (!(await isPortFree(port))) {
      emit({
        type: 'note',
        message: `port ${port} is in use, so the local Jaeger cannot start: tracing is off (set OTEL_EXPORTER_OTLP_ENDPOINT to use a running receiver)`,
      });
      return undefined;
    }
  }
  try {
    return await startJaeger(binary, join(logDir, 'jaeger.log'));
  } catch (error) {
    emit({
      type: 'note',
      message: `Jaeger did not start (${(error as Error).message}; see ${join(logDir, 'jaeger.log')}): tracing is off`,
    });
    return undefined;
  }
}

/** Whether a port on 127.0.0.1 can be bound now. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'a PostgreSQL URL';
  }
}

/** Resident set size of a process (VmRSS in /proc/<pid>/status), or undefined where unknown. */
export async function residentSetBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The processes whose parent is `parent` (a PostgreSQL server's backends). */
async function childrenOf(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]) === parent) children.push(Number(entry));
  }
  return children;
}

const sum = (values: ReadonlyArray<number | undefined>) =>
  values.reduce<number>((total, value) => total + (value ?? 0), 0);

/** Proportional set size of a process (Pss in /proc/<pid>/smaps_rollup), or undefined where unknown. */
export async function proportionalSetBytes(pid: number): Promise<number | undefined> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB$/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
