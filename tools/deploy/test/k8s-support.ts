import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository root (this file lives in tools/deploy/test). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The Kustomize tree: k8s/base, k8s/components, k8s/overlays. */
export const K8S_DIR = join(REPO_ROOT, 'k8s');

/** Every overlay directory under k8s/overlays, sorted. */
export const OVERLAYS: readonly string[] = readdirSync(join(K8S_DIR, 'overlays'), {
  withFileTypes: true,
})
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** The namespace every Mercato object lives in. */
export const NAMESPACE = 'mercato';

/** The four application services, each a Deployment of the same name. */
export const SERVICES = ['gateway', 'product', 'order', 'payment'] as const;

/** One of the four application services. */
export type ServiceName = (typeof SERVICES)[number];

/** Labels as Kubernetes writes them. */
export type Labels = Readonly<Record<string, string>>;

/** A label selector (matchLabels and matchExpressions). */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }>;
}

/** The fields of a rendered object these tests read; everything else stays `unknown`. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Labels;
    readonly annotations?: Labels;
  };
  readonly [field: string]: unknown;
}

/** A port a probe or Service refers to: a number or a container port's name. */
export type PortReference = number | string;

/** A probe handler (only the handlers Kubernetes defines). */
export interface Probe {
  readonly httpGet?: { readonly path?: string; readonly port: PortReference };
  readonly tcpSocket?: { readonly port: PortReference };
  readonly grpc?: { readonly port: number };
  readonly exec?: { readonly command: readonly string[] };
}

/** A container of a pod template. */
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports?: ReadonlyArray<{
    readonly name?: string;
    readonly containerPort: number;
    readonly protocol?: string;
  }>;
  readonly env?: ReadonlyArray<{
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: {
      readonly configMapKeyRef?: { readonly name: string; readonly key: string };
      readonly secretKeyRef?: { readonly name: string; readonly key: string };
      readonly fieldRef?: { readonly fieldPath: string };
    };
  }>;
  readonly envFrom?: ReadonlyArray<{
    readonly prefix?: string;
    readonly configMapRef?: { readonly name: string };
    readonly secretRef?: { readonly name: string };
  }>;
  readonly startupProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly lifecycle?: {
    readonly preStop?: { readonly sleep?: { readonly seconds: number } };
  };
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string | number>>;
    readonly limits?: Readonly<Record<string, string | number>>;
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: ReadonlyArray<{
    readonly name: string;
    readonly mountPath: string;
    readonly readOnly?: boolean;
  }>;
}

/** The securityContext fields shared by pods and containers. */
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
}

/** A pod volume. */
export interface Volume {
  readonly name: string;
  readonly emptyDir?: object;
  readonly configMap?: { readonly name: string; readonly items?: ReadonlyArray<{ key: string }> };
  readonly secret?: {
    readonly secretName: string;
    readonly items?: ReadonlyArray<{ key: string }>;
  };
  readonly projected?: {
    readonly sources: ReadonlyArray<{
      readonly configMap?: { readonly name: string };
      readonly secret?: { readonly name: string };
    }>;
  };
}

/** A pod template's spec. */
export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: SecurityContext;
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
}

/** A Deployment or StatefulSet, reduced to what the tests need. */
export interface Workload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly replicas: number | undefined;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly podLabels: Labels;
  readonly podAnnotations: Labels;
  readonly pod: PodSpec;
}

const renders = new Map<string, KubernetesObject[]>();

/**
 * Renders an overlay with `kubectl kustomize` (cached per overlay). A missing kubectl throws,
 * so the suites fail rather than pass vacuously.
 */
export function renderOverlay(overlay: string): KubernetesObject[] {
  const cached = renders.get(overlay);
  if (cached) return cached;
  const output = execFileSync('kubectl', ['kustomize', join(K8S_DIR, 'overlays', overlay)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const objects = parseAllDocuments(output).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.join('\n'));
    return document.toJS() as KubernetesObject;
  });
  renders.set(overlay, objects);
  return objects;
}

/** Objects of one kind. */
export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((object) => object.kind === kind);
}

/** The object of a kind and name, if rendered. */
export function find(
  objects: readonly KubernetesObject[],
  kind: string,
  name: string,
): KubernetesObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/** Every Deployment and StatefulSet with its pod template. */
export function workloads(objects: readonly KubernetesObject[]): Workload[] {
  return objects
    .filter(
      (object): object is KubernetesObject & { kind: Workload['kind'] } =>
        object.kind === 'Deployment' || object.kind === 'StatefulSet',
    )
    .map((object) => {
      const spec = object.spec as {
        replicas?: number;
        template: { metadata?: { labels?: Labels; annotations?: Labels }; spec: PodSpec };
      };
      return {
        kind: object.kind,
        name: object.metadata.name,
        replicas: spec.replicas,
        spec,
        podLabels: spec.template.metadata?.labels ?? {},
        podAnnotations: spec.template.metadata?.annotations ?? {},
        pod: spec.template.spec,
      };
    });
}

/** The Deployment of an application service (throws if it is missing). */
export function serviceWorkload(objects: readonly KubernetesObject[], service: string): Workload {
  const workload = workloads(objects).find(
    (candidate) => candidate.kind === 'Deployment' && candidate.name === service,
  );
  if (!workload) throw new Error(`no Deployment ${service} in the render`);
  return workload;
}

/** Whether labels satisfy a selector; an empty selector selects everything. */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  const byExpression = (selector.matchExpressions ?? []).every((expression) => {
    const value = labels[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && (expression.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(expression.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
  return byLabel && byExpression;
}

/** The container ports of a pod, by name and number. */
export function resolveContainerPort(
  pod: PodSpec,
  reference: PortReference,
): { readonly port: number; readonly protocol: string } | undefined {
  for (const container of pod.containers) {
    for (const port of container.ports ?? []) {
      if (
        port.containerPort === reference ||
        (port.name !== undefined && port.name === reference)
      ) {
        return { port: port.containerPort, protocol: port.protocol ?? 'TCP' };
      }
    }
  }
  return undefined;
}

/** The decoded data of a ConfigMap or Secret. */
export function dataOf(object: KubernetesObject): Record<string, string> {
  const data = (object.data ?? {}) as Record<string, string>;
  if (object.kind !== 'Secret') return { ...data };
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );
}
