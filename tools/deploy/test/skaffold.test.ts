import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { OVERLAYS, REPO_ROOT, renderOverlay, SERVICES, workloads } from './k8s-support.js';

// The published schema lives beside the repository (in CI too), not inside it.
const SCHEMA_PATH = join(REPO_ROOT, '..', 'shared', 'schemas', 'skaffold-v4beta14.json');
const SKAFFOLD_PATH = join(REPO_ROOT, 'skaffold.yaml');

interface KustomizeManifests {
  readonly kustomize?: { readonly paths?: readonly string[] };
}

interface SkaffoldConfig {
  readonly apiVersion: string;
  readonly build: {
    readonly artifacts: ReadonlyArray<{
      readonly image: string;
      readonly context?: string;
      readonly docker?: { readonly dockerfile?: string };
    }>;
  };
  readonly manifests?: KustomizeManifests;
  readonly portForward?: ReadonlyArray<{
    readonly resourceType: string;
    readonly resourceName: string;
    readonly namespace?: string;
    readonly port: number | string;
    readonly localPort?: number;
  }>;
  readonly profiles?: ReadonlyArray<{
    readonly name: string;
    readonly manifests?: KustomizeManifests;
  }>;
}

function compileSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $schema?: string };
  // The schema says draft-07, Ajv's default draft; the class would have to change with it.
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  const ajv = new Ajv({ allErrors: true });
  // Skaffold's editor hints: annotations without meaning for validation.
  ajv.addVocabulary(['preferredOrder', 'x-intellij-html-description']);
  return ajv.compile(schema);
}

const readConfig = () => parse(readFileSync(SKAFFOLD_PATH, 'utf8')) as SkaffoldConfig;

describe('skaffold.yaml', () => {
  it('validates against the skaffold/v4beta14 schema', () => {
    const validate = compileSchema();
    const config = readConfig();
    expect(config.apiVersion).toBe('skaffold/v4beta14');
    validate(config);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('is checked strictly enough to catch a misspelt field', () => {
    const validate = compileSchema();
    expect(validate({ ...readConfig(), portForwards: [] })).toBe(false);
  });

  it('builds exactly the four service images, each from its Dockerfile at the repository root', () => {
    const { artifacts } = readConfig().build;
    expect(artifacts.map((artifact) => artifact.image).sort()).toEqual(
      SERVICES.map((service) => `mercato/${service}`).sort(),
    );
    for (const artifact of artifacts) {
      const service = artifact.image.replace('mercato/', '');
      expect({
        image: artifact.image,
        context: artifact.context,
        dockerfile: artifact.docker?.dockerfile,
      }).toEqual({
        image: artifact.image,
        context: '.',
        dockerfile: `services/${service}/Dockerfile`,
      });
      const dockerfile = join(REPO_ROOT, artifact.context ?? '.', artifact.docker!.dockerfile!);
      expect({ dockerfile, exists: existsSync(dockerfile) }).toEqual({ dockerfile, exists: true });
    }
  });

  it('builds every Mercato image the overlays deploy', () => {
    const built = new Set(readConfig().build.artifacts.map((artifact) => artifact.image));
    for (const overlay of OVERLAYS) {
      const deployed = workloads(renderOverlay(overlay))
        .flatMap((workload) => workload.pod.containers.map((container) => container.image))
        .filter((image) => image.startsWith('mercato/'))
        .map((image) => image.split(':')[0]!);
      expect(deployed.filter((image) => !built.has(image))).toEqual([]);
      expect(new Set(deployed)).toEqual(built);
    }
  });

  it('has profiles that map 1:1 to k8s/overlays, and kustomize paths that exist', () => {
    const config = readConfig();
    const profiles = config.profiles ?? [];
    expect(profiles.map((profile) => profile.name).sort()).toEqual([...OVERLAYS]);
    for (const profile of profiles) {
      expect({ profile: profile.name, paths: profile.manifests?.kustomize?.paths }).toEqual({
        profile: profile.name,
        paths: [`k8s/overlays/${profile.name}`],
      });
    }
    const paths = [config.manifests, ...profiles.map((profile) => profile.manifests)].flatMap(
      (manifests) => manifests?.kustomize?.paths ?? [],
    );
    expect(config.manifests?.kustomize?.paths).toEqual(['k8s/overlays/dev']);
    for (const path of paths) {
      expect({
        path,
        kustomization: existsSync(join(REPO_ROOT, path, 'kustomization.yaml')),
      }).toEqual({
        path,
        kustomization: true,
      });
      expect(statSync(join(REPO_ROOT, path)).isDirectory()).toBe(true);
    }
  });

  it('forwards the gateway Service’s HTTP port', () => {
    const forwards = readConfig().portForward ?? [];
    expect(forwards).toEqual([
      {
        resourceType: 'service',
        resourceName: 'gateway',
        namespace: 'mercato',
        port: DEFAULT_PORTS.gateway.http,
        localPort: DEFAULT_PORTS.gateway.http,
      },
    ]);
    const gateway = renderOverlay('dev').find(
      (object) => object.kind === 'Service' && object.metadata.name === 'gateway',
    );
    const ports = (gateway?.spec as { ports: Array<{ port: number }> } | undefined)?.ports ?? [];
    expect(ports.map((port) => port.port)).toContain(DEFAULT_PORTS.gateway.http);
  });
});
