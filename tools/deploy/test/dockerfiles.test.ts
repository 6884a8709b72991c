import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { readRepositoryFile, SERVICES, type ServiceName } from './support/repository.js';

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

  it('runs every build step through scripts/docker-build-steps.sh', () => {
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
