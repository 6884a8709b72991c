import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

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
  readonly command?: readonly string[];
  readonly args?: readonly string[];
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
  readonly configMap?: {
    readonly name: string;
    readonly items?: ReadonlyArray<{ key: string; path?: string }>;
  };
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

/** `kubectl kustomize` of a directory, parsed. A missing kubectl throws. */
function kustomize(directory: string): KubernetesObject[] {
  const output = execFileSync('kubectl', ['kustomize', directory], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(output).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.join('\n'));
    return document.toJS() as KubernetesObject;
  });
}

/**
 * Renders an overlay with `kubectl kustomize` (cached per overlay). A missing kubectl throws,
 * so the suites fail rather than pass vacuously.
 */
export function renderOverlay(overlay: string): KubernetesObject[] {
  const cached = renders.get(overlay);
  if (cached) return cached;
  const objects = kustomize(join(K8S_DIR, 'overlays', overlay));
  renders.set(overlay, objects);
  return objects;
}

/**
 * Renders an overlay as it would be with more components appended to its `components` list (the
 * way k8s/overlays/prod/README.md tells an operator to add one): a temporary copy of its
 * kustomization.yaml, with every path pointing back into k8s/. Cached per combination.
 */
export function renderOverlayWith(
  overlay: string,
  components: readonly string[],
): KubernetesObject[] {
  const key = `${overlay}+${components.join('+')}`;
  const cached = renders.get(key);
  if (cached) return cached;
  const overlayDirectory = join(K8S_DIR, 'overlays', overlay);
  const kustomization = parse(
    readFileSync(join(overlayDirectory, 'kustomization.yaml'), 'utf8'),
  ) as Record<string, unknown>;
  // Only directory references are rewritten; a file reference would need copying instead.
  const readsFiles = JSON.stringify([
    kustomization.configMapGenerator,
    kustomization.secretGenerator,
    kustomization.patches,
  ]).match(/"(files|envs|path)":/);
  if (readsFiles)
    throw new Error(`overlay ${overlay} reads files; renderOverlayWith cannot copy it`);
  const scratch = mkdtempSync(join(tmpdir(), `mercato-${overlay}-with-`));
  try {
    const from = (path: string) => relative(scratch, resolve(overlayDirectory, path));
    const copy = {
      ...kustomization,
      resources: ((kustomization.resources ?? []) as string[]).map(from),
      components: [
        ...((kustomization.components ?? []) as string[]).map(from),
        ...components.map((component) => relative(scratch, join(K8S_DIR, 'components', component))),
      ],
    };
    writeFileSync(join(scratch, 'kustomization.yaml'), stringify(copy));
    const objects = kustomize(scratch);
    renders.set(key, objects);
    return objects;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
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

/** Where one variable of a container comes from. */
export interface ProvidedVariable {
  readonly name: string;
  readonly source: 'env' | 'configMap' | 'secretRef' | 'fieldRef';
  readonly value: string | undefined;
}

/** Every variable a container's environment ends up with, in the order Kubernetes applies them. */
export function providedVariables(
  objects: readonly KubernetesObject[],
  container: Container,
): ProvidedVariable[] {
  const fromEnvFrom = (container.envFrom ?? []).flatMap((source): ProvidedVariable[] => {
    const reference = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const object = reference ? find(objects, kind, reference.name) : undefined;
    if (!object) throw new Error(`envFrom ${kind} ${String(reference?.name)} is not rendered`);
    return Object.entries(dataOf(object)).map(([name, value]) => ({
      name: `${source.prefix ?? ''}${name}`,
      source: source.configMapRef ? 'configMap' : 'secretRef',
      value,
    }));
  });
  const fromEnv = (container.env ?? []).map((variable): ProvidedVariable => ({
    name: variable.name,
    source: variable.valueFrom?.secretKeyRef
      ? 'secretRef'
      : variable.valueFrom?.fieldRef
        ? 'fieldRef'
        : variable.valueFrom?.configMapKeyRef
          ? 'configMap'
          : 'env',
    value: variable.value,
  }));
  return [...fromEnvFrom, ...fromEnv];
}

/** A pod outside the rendered manifests that policies may name. */
export interface ExternalPeer {
  readonly id: string;
  readonly namespace: string;
  readonly labels: Labels;
}

// Who lives outside the namespace, as the policies expect to find them, plus two strangers
// no policy should ever let through: they catch rules that are broader than intended.
export const EXTERNAL_PEERS: readonly ExternalPeer[] = [
  {
    id: 'ingress-controller',
    namespace: 'ingress-nginx',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
  },
  { id: 'prometheus', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
  { id: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  {
    id: 'stranger-in-namespace',
    namespace: NAMESPACE,
    labels: { 'app.kubernetes.io/name': 'stranger' },
  },
  {
    id: 'stranger-elsewhere',
    namespace: 'elsewhere',
    labels: { 'app.kubernetes.io/name': 'stranger' },
  },
];
// Matched by ipBlock peers only.
export const ANY_ADDRESS = 'any-ip-address';

export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string };
}

export interface NetworkPolicyPort {
  readonly protocol?: string;
  readonly port?: PortReference;
  readonly endPort?: number;
}

export interface NetworkPolicyRule {
  readonly from?: readonly NetworkPolicyPeer[];
  readonly to?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes?: ReadonlyArray<'Ingress' | 'Egress'>;
  readonly ingress?: readonly NetworkPolicyRule[];
  readonly egress?: readonly NetworkPolicyRule[];
}

/** A pod the evaluation considers: a rendered workload, a known outsider, or any IP address. */
export interface Endpoint {
  readonly id: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly pod?: PodSpec;
}

/** Every port of every protocol, as an edge names it. */
export const ALL_PORTS = '*/*';

/**
 * Computes `from -> to PROTOCOL/port` for every pair of endpoints that both the sender's egress
 * and the receiver's ingress policies allow, following the NetworkPolicy semantics: a pod no
 * policy of a direction selects is open in that direction; outsiders' own policies are not ours.
 */
export function allowedEdges(objects: readonly KubernetesObject[]): string[] {
  const policies = ofKind(objects, 'NetworkPolicy').map((policy) => {
    const spec = policy.spec as NetworkPolicySpec;
    const types = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    return { namespace: policy.metadata.namespace ?? NAMESPACE, spec, types };
  });
  const internal: Endpoint[] = workloads(objects).map((workload) => ({
    id: workload.name,
    namespace: NAMESPACE,
    labels: workload.podLabels,
    pod: workload.pod,
  }));
  const endpoints: Endpoint[] = [
    ...internal,
    ...EXTERNAL_PEERS,
    { id: ANY_ADDRESS, namespace: '', labels: {} },
  ];

  const peerMatches = (peer: NetworkPolicyPeer, policyNamespace: string, endpoint: Endpoint) => {
    if (peer.ipBlock) return endpoint.id === ANY_ADDRESS;
    if (endpoint.id === ANY_ADDRESS) return false;
    const namespaceMatches = peer.namespaceSelector
      ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': endpoint.namespace })
      : endpoint.namespace === policyNamespace;
    return namespaceMatches && selects(peer.podSelector, endpoint.labels);
  };

  const portsOf = (rule: NetworkPolicyRule, destination: Endpoint): string[] => {
    if (!rule.ports?.length) return [ALL_PORTS];
    return rule.ports.map((port) => {
      const protocol = port.protocol ?? 'TCP';
      if (port.port === undefined) return `${protocol}/*`;
      if (port.endPort !== undefined) return `${protocol}/${port.port}-${port.endPort}`;
      const resolved = destination.pod
        ? resolveContainerPort(destination.pod, port.port)
        : undefined;
      return `${protocol}/${resolved?.port ?? port.port}`;
    });
  };

  const allowed = (
    direction: 'Ingress' | 'Egress',
    subject: Endpoint,
    other: Endpoint,
    destination: Endpoint,
  ): string[] => {
    if (!subject.pod) return [ALL_PORTS];
    const applicable = policies.filter(
      (policy) =>
        policy.namespace === subject.namespace &&
        policy.types.includes(direction) &&
        selects(policy.spec.podSelector, subject.labels),
    );
    if (applicable.length === 0) return [ALL_PORTS];
    return applicable.flatMap((policy) =>
      ((direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress) ?? []).flatMap(
        (rule) => {
          const peers = direction === 'Ingress' ? rule.from : rule.to;
          const matches =
            !peers?.length || peers.some((peer) => peerMatches(peer, policy.namespace, other));
          return matches ? portsOf(rule, destination) : [];
        },
      ),
    );
  };

  const edges = new Set<string>();
  for (const source of endpoints) {
    for (const destination of endpoints) {
      if (source === destination || (!source.pod && !destination.pod)) continue;
      const egress = allowed('Egress', source, destination, destination);
      const ingress = allowed('Ingress', destination, source, destination);
      for (const port of intersect(egress, ingress)) {
        edges.add(`${source.id} -> ${destination.id} ${port}`);
      }
    }
  }
  return [...edges].sort();
}

function intersect(left: readonly string[], right: readonly string[]): string[] {
  const covered = (port: string, by: readonly string[]) =>
    by.includes(ALL_PORTS) || by.includes(port) || by.includes(`${port.split('/')[0]}/*`);
  return [
    ...new Set([
      ...left.filter((port) => covered(port, right)),
      ...right.filter((port) => covered(port, left)),
    ]),
  ];
}
