import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { createTestDatabase, dropTestDatabase, testInfraEnvironment } from '@mercato/harness';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  replayImageBuild,
  startBundle,
  toolchainVersions,
  type RunningBundle,
} from './support/image-build.js';
import {
  imageNodeOptions,
  readRepositoryFile,
  run,
  SERVICES,
  type ServiceName,
} from './support/repository.js';

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

  it('would install the pnpm and turbo this repository uses', async () => {
    const [pnpm, turbo] = await Promise.all([
      run('pnpm', ['--version']),
      run('pnpm', ['exec', 'turbo', '--version']),
    ]);
    expect(await toolchainVersions()).toBe(
      `pnpm@${pnpm.stdout.trim()} turbo@${turbo.stdout.trim()}`,
    );
  });
});

// Development tools no service depends on at run time, by their node_modules/.pnpm entry names.
const TOOLCHAIN =
  /^(?:jest|typescript|@swc\+core|@swc\+cli|@swc\+jest|eslint|turbo|@bufbuild\+buf)@/;

// Upper bounds for a hang on a loaded 2-core machine, not speed claims.
const REPLAY_TIMEOUT_MS = 600_000;
const START_TIMEOUT_MS = 90_000;
/** Start-up, then the memory reducer's first quiet look (every 5 s), on a busy machine. */
const REDUCTION_TIMEOUT_MS = 60_000;

let replayDir: string;
let turboCacheDir: string;

beforeAll(() => {
  replayDir = mkdtempSync(join(tmpdir(), 'mercato-images-'));
  turboCacheDir = join(replayDir, 'turbo-cache');
});

afterAll(() => {
  if (replayDir) rmSync(replayDir, { recursive: true, force: true });
});

describe.each(SERVICES)('the %s image, its build replayed outside Docker', (service) => {
  let bundle: string;

  beforeAll(async () => {
    bundle = await replayImageBuild(service, {
      workDir: join(replayDir, service),
      turboCacheDir,
    });
  }, REPLAY_TIMEOUT_MS);

  it('holds only the manifest, the compiled code and production node_modules', () => {
    expect(readdirSync(bundle).sort()).toEqual([
      'README.md',
      'dist',
      'node_modules',
      'package.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(bundle, 'package.json'), 'utf8')) as {
      name: string;
    };
    expect(manifest.name).toBe(`@mercato/${service}-service`);
  });

  it('deploys no development dependency', () => {
    const manifest = JSON.parse(readRepositoryFile('services', service, 'package.json')) as {
      devDependencies: Record<string, string>;
    };
    const devDependencies = Object.keys(manifest.devDependencies);
    expect(devDependencies.length).toBeGreaterThan(0);
    expect(
      devDependencies.filter((name) => existsSync(join(bundle, 'node_modules', name))),
    ).toEqual([]);
    expect(
      readdirSync(join(bundle, 'node_modules/.pnpm')).filter((entry) => TOOLCHAIN.test(entry)),
    ).toEqual([]);
  });

  it('is self-contained: no link leads out of the bundle the image copies', () => {
    const links = readdirSync(bundle, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isSymbolicLink(),
    );
    expect(links.length).toBeGreaterThan(0);
    const root = realpathSync(bundle);
    const escaping = links
      .map((link) => join(link.parentPath, link.name))
      .filter((link) => relative(root, realpathSync(link)).startsWith('..'));
    expect(escaping).toEqual([]);
  });

  it('carries the compiled service and its SQL migrations (the gateway has no database)', () => {
    expect(existsSync(join(bundle, 'dist/main.js'))).toBe(true);
    const migrations = join(bundle, 'dist/migrations');
    const sqlFiles = existsSync(migrations)
      ? readdirSync(migrations).filter((file) => file.endsWith('.sql'))
      : [];
    expect(sqlFiles.length > 0).toBe(service !== 'gateway');
  });

  describe('started as the image starts it', () => {
    const { kafkaBrokers, databaseUrl: serverUrl } = testInfraEnvironment();
    let databaseUrl: string | undefined;
    let running: RunningBundle | undefined;
    let address: string;

    beforeAll(async () => {
      if (!serverUrl) throw new Error('global setup published no PostgreSQL server');
      // PostgreSQL, as compose and Kubernetes give the services; the gateway has no database.
      if (service !== 'gateway') {
        databaseUrl = await createTestDatabase(serverUrl, `image_${service}`);
      }
      running = startBundle(bundle, {
        NODE_ENV: 'production',
        // The image's own ENV: the heap budget the service must start and serve within.
        NODE_OPTIONS: imageNodeOptions(service) ?? '',
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        KAFKA_BROKERS: kafkaBrokers.join(','),
        KAFKA_NAMESPACE: `image-test-${randomBytes(4).toString('hex')}.`,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        SHUTDOWN_DRAIN_DELAY: '0',
        ...(service === 'gateway'
          ? { JWT_SECRET: 'replayed-image-test-secret-0123456789abcdef' }
          : {}),
      });
      address = await running.httpAddress(START_TIMEOUT_MS);
    }, START_TIMEOUT_MS + 10_000);

    afterAll(async () => {
      await running?.kill();
      if (serverUrl && databaseUrl) await dropTestDatabase(serverUrl, databaseUrl);
    });

    it(
      'answers GET /health/ready with 200 on loopback',
      async () => {
        expect(new URL(address).hostname).toBe('127.0.0.1');
        const status = await running!.pollUntil200(`${address}/health/ready`, START_TIMEOUT_MS);
        expect({ status, output: running!.output() }).toEqual({
          status: 200,
          output: running!.output(),
        });
      },
      START_TIMEOUT_MS + 10_000,
    );

    if (service === 'gateway') {
      it('serves the storefront the image build compiled, at /', async () => {
        const page = await fetch(`${address}/`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain('<div id="app"></div>');
        const script = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        expect(script).toBeDefined();
        const asset = await fetch(`${address}${script}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
      });
    }

    it(
      "gives its start-up memory back once quiet: the image's NODE_OPTIONS expose V8's gc (D46)",
      async () => {
        // The memory reducer looks every 5 s and collects at the first quiet look after start-up.
        const deadline = Date.now() + REDUCTION_TIMEOUT_MS;
        let reductions = 0;
        while (reductions === 0 && Date.now() < deadline) {
          // Not too often: every scrape is work for the service, which must be quiet to collect.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          const text = await (await fetch(`${address}/metrics`)).text();
          reductions = Number(
            /^process_memory_reductions_total(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? 0,
          );
        }
        expect({ reduced: reductions >= 1, output: running!.output() }).toEqual({
          reduced: true,
          output: running!.output(),
        });
      },
      REDUCTION_TIMEOUT_MS + 5_000,
    );

    it('stops cleanly on SIGTERM', async () => {
      const code = await running!.terminate();
      expect({ code, output: running!.output() }).toEqual({ code: 0, output: running!.output() });
    });
  });
});
