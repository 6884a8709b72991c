import { describe, expect, it } from '@jest/globals';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { NAMESPACE, OVERLAYS, renderOverlay, type KubernetesObject } from './k8s-support.js';

interface Model {
  validate(): void;
}

// Every kind the manifests may contain, with the schema it must satisfy. A kind missing here
// fails the test: a new kind gets validated or it does not ship.
const MODELS: Readonly<Record<string, new (data: never) => Model>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set(['Namespace']);

const typeOf = (object: KubernetesObject) => `${object.apiVersion}/${object.kind}`;

/**
 * Kustomize folds long base64 values of generated Secrets over several lines; the API server
 * decodes them with Go's base64, which skips line breaks, while the schema's "byte" format does not.
 */
function asSubmitted(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.entries(object.data as Record<string, string>).map(([key, value]) => [
    key,
    value.replace(/[\r\n]/g, ''),
  ]);
  return { ...object, data: Object.fromEntries(data) };
}

function schemaProblems(object: KubernetesObject): string[] {
  const ModelClass = MODELS[typeOf(object)];
  if (!ModelClass) return [`${typeOf(object)} ${object.metadata.name}: no schema for this kind`];
  try {
    new ModelClass(asSubmitted(object) as never).validate();
    return [];
  } catch (error) {
    return [`${typeOf(object)} ${object.metadata.name}: ${String(error)}`];
  }
}

describe('rendering the Kubernetes overlays', () => {
  it('finds the overlays dev and prod', () => {
    expect(OVERLAYS).toEqual(['dev', 'prod']);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    it('renders with kubectl kustomize', () => {
      expect(renderOverlay(overlay).length).toBeGreaterThan(0);
    });

    it('yields only objects that validate against the Kubernetes schemas', () => {
      const problems = renderOverlay(overlay).flatMap(schemaProblems);
      expect(problems).toEqual([]);
    });

    it(`puts every namespaced object in namespace ${NAMESPACE}`, () => {
      const misplaced = renderOverlay(overlay)
        .filter((object) => !CLUSTER_SCOPED_KINDS.has(object.kind))
        .filter((object) => object.metadata.namespace !== NAMESPACE)
        .map((object) => `${object.kind}/${object.metadata.name}`);
      expect(misplaced).toEqual([]);
      expect(
        renderOverlay(overlay)
          .filter((object) => object.kind === 'Namespace')
          .map((object) => object.metadata.name),
      ).toEqual([NAMESPACE]);
    });

    it('names every object uniquely within its kind', () => {
      const keys = renderOverlay(overlay).map((object) => `${object.kind}/${object.metadata.name}`);
      expect(new Set(keys).size).toBe(keys.length);
    });
  });

  it('rejects an object the schema forbids, so the validation above can fail', () => {
    const deployment = renderOverlay('dev').find((object) => object.kind === 'Deployment');
    expect(deployment).toBeDefined();
    const broken = structuredClone(deployment!) as KubernetesObject & {
      spec: Record<string, unknown>;
    };
    broken.spec.replicas = 'two';
    expect(schemaProblems(broken)).toHaveLength(1);
    expect(
      schemaProblems({ ...deployment!, kind: 'CronTab', apiVersion: 'example.com/v1' }),
    ).toEqual([`example.com/v1/CronTab ${deployment!.metadata.name}: no schema for this kind`]);
  });
});
