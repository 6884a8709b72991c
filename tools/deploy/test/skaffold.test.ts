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
// The Jaeger UI's Service port (k8s/components/tracing/service.yaml).
const JAEGER_UI_PORT = 16686;

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
    readonly portForward?: SkaffoldConfig['portForward'];
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

  it('forwards the gateway’s HTTP port everywhere and the Jaeger UI where the render has it', () => {
    const config = readConfig();
    const expected = (service: string, port: number) => ({
      resourceType: 'service',
      resourceName: service,
      namespace: 'mercato',
      port,
      localPort: port,
    });
    for (const profile of config.profiles ?? []) {
      // A profile's list replaces the top-level one (Skaffold overlays slices whole).
      const forwards = profile.portForward ?? config.portForward ?? [];
      const hasJaeger = renderOverlay(profile.name).some(
        (object) => object.kind === 'Service' && object.metadata.name === 'jaeger',
      );
      expect({ profile: profile.name, forwards }).toEqual({
        profile: profile.name,
        forwards: [
          expected('gateway', DEFAULT_PORTS.gateway.http),
          ...(hasJaeger ? [expected('jaeger', JAEGER_UI_PORT)] : []),
        ],
      });
      for (const forward of forwards) {
        const service = renderOverlay(profile.name).find(
          (object) => object.kind === 'Service' && object.metadata.name === forward.resourceName,
        );
        const ports =
          (service?.spec as { ports: Array<{ port: number }> } | undefined)?.ports ?? [];
        expect({ profile: profile.name, forward: forward.resourceName, ports }).toEqual({
          profile: profile.name,
          forward: forward.resourceName,
          ports: expect.arrayContaining([expect.objectContaining({ port: forward.port })]),
        });
      }
    }
    // `skaffold dev` without a profile uses the top-level list with the dev overlay.
    expect(config.portForward).toEqual([
      expected('gateway', DEFAULT_PORTS.gateway.http),
      expected('jaeger', JAEGER_UI_PORT),
    ]);
  });
});
