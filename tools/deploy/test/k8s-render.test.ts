import { describe, expect, it } from '@jest/globals';
import { ControllerRevision, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { NAMESPACE, OVERLAYS, renderOverlay, type KubernetesObject } from './k8s-support.js';
import { undeclaredFields } from './support/kubernetes-fields.js';

interface Model {
  validate(): void;
}

interface ModelClass {
  new (data: never): Model;
  readonly prototype: Model;
}

// Every kind the manifests may contain, with the schema it must satisfy. A kind missing here
// fails the test: a new kind gets validated or it does not ship.
const MODELS: Readonly<Record<string, ModelClass>> = {
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

function unknownFieldProblems(object: KubernetesObject): string[] {
  const ModelClass = MODELS[typeOf(object)];
  if (!ModelClass) return [`${typeOf(object)} ${object.metadata.name}: no schema for this kind`];
  return undeclaredFields(asSubmitted(object), ModelClass).map(
    (path) =>
      `${object.kind}/${object.metadata.name}: ${path} is not a field of the ${typeOf(object)} schema`,
  );
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

    it('has no field the Kubernetes API does not know', () => {
      const problems = renderOverlay(overlay).flatMap(unknownFieldProblems);
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

  it('reports a misspelled field of a rendered object by kind, name and path', () => {
    const gateway = renderOverlay('dev').find(
      (object) => object.kind === 'Deployment' && object.metadata.name === 'gateway',
    );
    expect(gateway).toBeDefined();
    const misspelled = structuredClone(gateway!) as KubernetesObject & {
      spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    misspelled.spec.template.spec.containers[0]!.imagePullPolice = 'Always';
    expect(unknownFieldProblems(misspelled)).toEqual([
      'Deployment/gateway: spec.template.spec.containers[0].imagePullPolice is not a field of the apps/v1/Deployment schema',
    ]);
  });
});

describe('finding fields the Kubernetes schema does not declare', () => {
  const labels = { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/part-of': 'mercato' };

  function deploymentWithProbe(
    probe: Record<string, unknown>,
    container: Record<string, unknown> = {},
  ) {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop', labels, annotations: { 'example.com/owner': 'team-a' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'shop',
                image: 'example/shop:1.0.0',
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: probe,
                resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: 128 } },
                securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
                ...container,
              },
            ],
          },
        },
      },
    };
  }

  it('reports exactly the misspelled fields, deep in a container and in a probe, by path', () => {
    const deployment = deploymentWithProbe(
      { httpGet: { path: '/health/ready', port: 'http' }, periodSecond: 5 },
      { imagePullPolice: 'IfNotPresent' },
    );
    // Both misspellings pass the kubernetes-models schemas, which is why this check exists.
    expect(() => new Deployment(deployment as never).validate()).not.toThrow();
    expect(undeclaredFields(deployment, Deployment)).toEqual([
      'spec.template.spec.containers[0].readinessProbe.periodSecond',
      'spec.template.spec.containers[0].imagePullPolice',
    ]);
  });

  it('accepts a port given by name or number and a rollout bound given as a percentage', () => {
    expect(
      undeclaredFields(
        deploymentWithProbe({ httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 5 }),
        Deployment,
      ),
    ).toEqual([]);
    expect(
      undeclaredFields(deploymentWithProbe({ tcpSocket: { port: 8080 } }), Deployment),
    ).toEqual([]);
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop' },
      spec: {
        selector: labels,
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocl: 'TCP' },
        ],
      },
    };
    expect(undeclaredFields(service, Service)).toEqual(['spec.ports[1].protocl']);
  });

  it('treats the keys of maps (ConfigMap data, labels, annotations) as entries, not fields', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shop-config', labels, annotations: { 'kustomize.io/anything': 'x' } },
      data: { LOG_LEVEL: 'info', 'application.properties': 'a=b', periodSecond: '5' },
      binaryData: { 'logo.png': 'iVBORw0KGgo=' },
    };
    expect(undeclaredFields(configMap, ConfigMap)).toEqual([]);
    expect(
      undeclaredFields(
        { ...configMap, metadata: { ...configMap.metadata, labelz: labels } },
        ConfigMap,
      ),
    ).toEqual(['metadata.labelz']);
  });

  it('looks into no free-form object (a RawExtension) but still checks the fields around it', () => {
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'shop-1' },
      revision: 1,
      data: { anything: { goes: ['here', { at: 'any depth' }] } },
    };
    expect(undeclaredFields(revision, ControllerRevision)).toEqual([]);
    expect(undeclaredFields({ ...revision, revison: 2 }, ControllerRevision)).toEqual(['revison']);
  });

  it('leaves a value of the wrong type to the schema check instead of guessing its fields', () => {
    const deployment = deploymentWithProbe({ httpGet: { path: '/', port: 'http' } });
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: { count: 2 } } };
    expect(() => new Deployment(broken as never).validate()).toThrow();
    expect(undeclaredFields(broken, Deployment)).toEqual([]);
  });
});
