import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { createTestDatabase, dropTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  readRepositoryFile,
  repositoryPath,
  run,
  SERVICES,
  type ServiceName,
} from './support/repository.js';

const STEPS = repositoryPath('scripts/docker-build-steps.sh');

// The Dockerfile the others must equal but for the service name and ports (no include in Docker).
const REFERENCE: ServiceName = 'order';

const dockerfile = (service: ServiceName) => readRepositoryFile('services', service, 'Dockerfile');

/** RUN instructions of a Dockerfile, continuation lines joined. */
const runInstructions = (text: string) =>
  text
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('RUN '))
    .map((line) => line.slice('RUN '.length));

/** The stages of a Dockerfile: each FROM line with the instructions that follow it. */
const stages = (text: string) =>
  text
    .split(/^(?=FROM )/m)
    .filter((stage) => stage.startsWith('FROM '))
    .map((stage) => stage.split('\n').filter((line) => line.trim() && !line.startsWith('#')));

const exposedPorts = (service: ServiceName) =>
  Object.values(DEFAULT_PORTS[service] as Record<string, number>).join(' ');

describe('the service Dockerfiles', () => {
  it.each(SERVICES.filter((service) => service !== REFERENCE))(
    'services/%s/Dockerfile is the replayed one with its own name and ports',
    (service) => {
      const expected = dockerfile(REFERENCE)
        .replace(`ARG SERVICE=${REFERENCE}\n`, `ARG SERVICE=${service}\n`)
        .replace(`services/${REFERENCE}/Dockerfile`, `services/${service}/Dockerfile`)
        .replace(`EXPOSE ${exposedPorts(REFERENCE)}\n`, `EXPOSE ${exposedPorts(service)}\n`);
      expect(dockerfile(service)).toBe(expected);
    },
  );

  it('exposes the ports of @mercato/contracts', () => {
    expect(dockerfile(REFERENCE)).toContain(`\nEXPOSE ${exposedPorts(REFERENCE)}\n`);
  });

  it('runs every build step through scripts/docker-build-steps.sh, in the order replayed here', () => {
    expect(runInstructions(dockerfile(REFERENCE))).toEqual([
      'docker-build-steps toolchain /toolchain',
      'docker-build-steps prune "${SERVICE}" /pruned',
      'docker-build-steps install',
      'docker-build-steps build "${SERVICE}" && docker-build-steps deploy "${SERVICE}" /deployed',
    ]);
  });

  it('runs a digest-pinned Node 24 slim image, the Node these tests run on', () => {
    const image = /^ARG NODE_IMAGE=(.+)$/m.exec(dockerfile(REFERENCE))?.[1];
    const [, version] =
      /^node:(24\.\d+\.\d+)-bookworm-slim@sha256:[0-9a-f]{64}$/.exec(image ?? '') ?? [];
    expect(version).toBe(process.versions.node);
  });

  it('ships only the deployed bundle, as a non-root user, in production mode', () => {
    const runtime = stages(dockerfile(REFERENCE)).at(-1)!;
    expect(runtime[0]).toBe('FROM ${NODE_IMAGE} AS runtime');
    expect(runtime.filter((line) => /^(COPY|ADD) /.test(line))).toEqual([
      'COPY --from=build /deployed/ ./',
    ]);
    expect(runtime).toContain('ENV NODE_ENV=production');
    expect(runtime).toContain('USER 1000:1000');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/main.js"]');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe.each(SERVICES)('the %s service image, its build replayed outside Docker', (REPLAYED) => {
  const work = mkdtempSync(join(tmpdir(), 'mercato-image-'));
  const pruned = join(work, 'pruned');
  const workspace = join(work, 'workspace');
  const deployed = join(work, 'deployed');
  const steps = (args: string[], cwd: string) =>
    run('bash', [STEPS, ...args], { cwd, timeoutMs: 600_000 });

  beforeAll(async () => {
    // The prune stage runs in the build context: the repository with its own turbo on PATH.
    await run('pnpm', ['exec', 'bash', STEPS, 'prune', REPLAYED, pruned], { timeoutMs: 60_000 });
    cpSync(join(pruned, 'json'), workspace, { recursive: true });
    await steps(['install'], workspace);
    cpSync(join(pruned, 'full'), workspace, { recursive: true });
    await steps(['build', REPLAYED], workspace);
    await steps(['deploy', REPLAYED, deployed], workspace);
  }, 1_200_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('would install the pnpm and turbo this repository uses', async () => {
    const [pnpm, turbo] = await Promise.all([
      run('pnpm', ['--version']),
      run('pnpm', ['exec', 'turbo', '--version']),
    ]);
    const { stdout } = await steps(['toolchain-versions', '.'], repositoryPath('.'));
    expect(stdout.trim()).toBe(`pnpm@${pnpm.stdout.trim()} turbo@${turbo.stdout.trim()}`);
  });

  it('deploys no development dependency', () => {
    const manifest = JSON.parse(readRepositoryFile('services', REPLAYED, 'package.json')) as {
      devDependencies: Record<string, string>;
    };
    const devDependencies = Object.keys(manifest.devDependencies);
    expect(devDependencies.length).toBeGreaterThan(0);
    expect(
      devDependencies.filter((name) => existsSync(join(deployed, 'node_modules', name))),
    ).toEqual([]);
    const toolchain = /^(?:jest|typescript|@swc\+core|@swc\+cli|eslint|turbo|@bufbuild\+buf)@/;
    expect(
      readdirSync(join(deployed, 'node_modules/.pnpm')).filter((entry) => toolchain.test(entry)),
    ).toEqual([]);
  });

  it('is self-contained: no link leads out of the bundle the image copies', () => {
    const links = readdirSync(deployed, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isSymbolicLink(),
    );
    expect(links.length).toBeGreaterThan(0);
    const root = realpathSync(deployed);
    const escaping = links
      .map((link) => join(link.parentPath, link.name))
      .filter((link) => relative(root, realpathSync(link)).startsWith('..'));
    expect(escaping).toEqual([]);
  });

  it('carries the compiled service and its SQL migrations (the gateway has no database)', () => {
    expect(existsSync(join(deployed, 'dist/main.js'))).toBe(true);
    const migrations = join(deployed, 'dist/migrations');
    const sqlFiles = existsSync(migrations)
      ? readdirSync(migrations).filter((file) => file.endsWith('.sql'))
      : [];
    expect(sqlFiles.length > 0).toBe(REPLAYED !== 'gateway');
    const manifest = JSON.parse(readFileSync(join(deployed, 'package.json'), 'utf8')) as {
      name: string;
    };
    expect(manifest.name).toBe(`@mercato/${REPLAYED}-service`);
  });

  describe('started as the image starts it', () => {
    const { kafkaBrokers, databaseUrl: serverUrl } = testInfraEnvironment();
    let databaseUrl: string;
    let service: ChildProcess;
    let output = '';
    let httpPort: number;

    beforeAll(async () => {
      if (!serverUrl) throw new Error('global setup published no PostgreSQL server');
      databaseUrl = await createTestDatabase(serverUrl, `image_${REPLAYED}`);
      httpPort = await freePort();
      service = spawn(process.execPath, ['dist/main.js'], {
        cwd: deployed,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          HTTP_PORT: String(httpPort),
          GRPC_PORT: String(await freePort()),
          KAFKA_BROKERS: kafkaBrokers.join(','),
          KAFKA_NAMESPACE: `image-test-${process.pid}.`,
          DATABASE_URL: databaseUrl,
          SHUTDOWN_DRAIN_DELAY: '0',
          // Only the gateway reads it; every service ignores variables outside its schema.
          JWT_SECRET: 'replayed-image-test-secret-0123456789abcdef',
        },
      });
      service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    }, 60_000);

    afterAll(async () => {
      if (service && service.exitCode === null && service.signalCode === null) {
        service.kill('SIGKILL');
        await once(service, 'exit');
      }
      if (serverUrl && databaseUrl) await dropTestDatabase(serverUrl, databaseUrl);
    });

    it('answers GET /health/ready with 200, then stops cleanly on SIGTERM', async () => {
      const deadline = Date.now() + 90_000;
      let status: number | undefined;
      while (status !== 200) {
        if (service.exitCode !== null) throw new Error(`the service exited early:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`never ready (last status ${status}):\n${output}`);
        status = await fetch(`http://127.0.0.1:${httpPort}/health/ready`)
          .then((response) => response.status)
          .catch(() => undefined);
        if (status !== 200) await sleep(250);
      }
      expect(status).toBe(200);
      const exited = once(service, 'exit');
      service.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect({ code, output }).toEqual({ code: 0, output });
    }, 120_000);
  });
});
