import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PORTS } from '@mercato/contracts';
import {
  allowedEdges,
  ANY_ADDRESS,
  find,
  ofKind,
  OVERLAYS,
  renderOverlay,
  renderOverlayWith,
  resolveContainerPort,
  selects,
  serviceWorkload,
  SERVICES,
  workloads,
  type Container,
  type KubernetesObject,
  type LabelSelector,
  type Labels,
  type NetworkPolicySpec,
  type PodSpec,
  type PortReference,
  type Probe,
  type SecurityContext,
  type Workload,
} from './k8s-support.js';

// Ports that are not Mercato's own (those come from DEFAULT_PORTS).
const KAFKA_PORT = 9092;
const POSTGRES_PORT = 5432;
const DNS_PORT = 53;
// Jaeger's OTLP receivers (components/tracing): the services export over HTTP.
const JAEGER_OTLP_HTTP_PORT = 4318;
const JAEGER_OTLP_GRPC_PORT = 4317;
// Redis of the gateway's shared rate limits (components/rate-limit-redis).
const REDIS_PORT = 6379;

// Secrets production creates outside git (k8s/overlays/prod/README.md); dev renders all of its own.
const EXTERNAL_SECRETS: Readonly<Record<string, readonly string[]>> = {
  dev: [],
  prod: [
    'gateway-secrets',
    'product-secrets',
    'order-secrets',
    'payment-secrets',
    'postgres-credentials',
    'mercato-tls',
  ],
};

const APP_USER_ID = 1000;
// The USER of the images that are not Mercato's and run as Deployments; any other Deployment runs
// a Mercato image and so APP_USER_ID.
const IMAGE_USER_IDS: Readonly<Record<string, number>> = {
  'jaegertracing/jaeger': 10001,
  redis: 999,
};

// The images whose probes may run a command instead of a network check, and the port that
// command checks. redis-cli's PING is the only way to ask Redis for an answer (it speaks neither
// HTTP nor gRPC); any other exec probe counts as no network check.
const EXEC_PROBE_PORTS: Readonly<
  Record<string, (command: readonly string[]) => PortReference | undefined>
> = {
  redis: (command) => {
    const port = /\bredis-cli -p (\d+) ping\b/.exec(command.join(' '))?.[1];
    return port === undefined ? undefined : Number(port);
  },
};

/** What is wrong with an image reference's pinning, or undefined for a version tag or a digest. */
function unpinned(image: string): string | undefined {
  const match = /^([^:@\s]+)(?::([\w][\w.-]*))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
  if (!match) return 'is not an image reference';
  const [, , tag, digest] = match;
  if (digest !== undefined) return undefined;
  if (tag === undefined) return 'has neither a tag nor a digest';
  return /^v?\d+\.\d+/.test(tag) ? undefined : `has tag ${tag}, not a version`;
}

const repositoryOf = (image: string) => image.replace(/[:@].*$/, '');

const tcp = (port: number) => `TCP/${port}`;

/** The network edges Mercato needs — the architecture table, D12, D30, brokers, databases, DNS. */
function expectedEdges(workloadNames: readonly string[]): string[] {
  const edge = (from: string, to: string, port: string) => `${from} -> ${to} ${port}`;
  const grpcServices = ['product', 'order', 'payment'] as const;
  return [
    edge('ingress-controller', 'gateway', tcp(DEFAULT_PORTS.gateway.http)),
    ...SERVICES.map((service) => edge('prometheus', service, tcp(DEFAULT_PORTS[service].http))),
    ...grpcServices.map((service) => edge('gateway', service, tcp(DEFAULT_PORTS[service].grpc))),
    edge('order', 'product', tcp(DEFAULT_PORTS.product.grpc)),
    edge('order', 'payment', tcp(DEFAULT_PORTS.payment.grpc)),
    edge('payment', 'order', tcp(DEFAULT_PORTS.order.grpc)),
    ...grpcServices.map((service) => edge(service, 'kafka', tcp(KAFKA_PORT))),
    // The gateway's catalog cache reads catalog changes (D30).
    edge('gateway', 'kafka', tcp(KAFKA_PORT)),
    ...grpcServices.map((service) => edge(service, 'postgres', tcp(POSTGRES_PORT))),
    // Spans to Jaeger, where the render has the tracing component: OTLP/HTTP, from the services.
    ...(workloadNames.includes('jaeger')
      ? SERVICES.map((service) => edge(service, 'jaeger', tcp(JAEGER_OTLP_HTTP_PORT)))
      : []),
    // Rate-limit counters, where the render has Redis: from the gateway only.
    ...(workloadNames.includes('redis') ? [edge('gateway', 'redis', tcp(REDIS_PORT))] : []),
    ...workloadNames.flatMap((name) => [
      edge(name, 'kube-dns', `UDP/${DNS_PORT}`),
      edge(name, 'kube-dns', tcp(DNS_PORT)),
    ]),
  ].sort();
}

describe.each(OVERLAYS)('policies of overlay %s', (overlay) => {
  const objects = () => renderOverlay(overlay);

  describe('containers', () => {
    it('have startup, liveness and readiness probes on ports they declare', () => {
      const problems = eachContainer(objects(), (container, pod) =>
        (['startupProbe', 'livenessProbe', 'readinessProbe'] as const).flatMap((probeName) => {
          const probe = container[probeName];
          if (!probe) return [`${probeName} missing`];
          const port = probePort(probe, container.image);
          if (port === undefined) return [`${probeName} has no network check`];
          return resolveContainerPort(pod, port)
            ? []
            : [`${probeName} port ${port} is not declared`];
        }),
      );
      expect(problems).toEqual([]);
    });

    it('request and limit cpu and memory', () => {
      const problems = eachContainer(objects(), (container) =>
        (['requests', 'limits'] as const).flatMap((bound) =>
          ['cpu', 'memory']
            .filter((resource) => container.resources?.[bound]?.[resource] === undefined)
            .map((resource) => `${bound}.${resource} missing`),
        ),
      );
      expect(problems).toEqual([]);
    });

    it('run restricted: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
      const problems = eachContainer(objects(), (container, pod, workload) => {
        const context: SecurityContext = { ...pod.securityContext, ...container.securityContext };
        const found: string[] = [];
        if (context.runAsNonRoot !== true) found.push('runAsNonRoot is not true');
        if (!context.runAsUser) found.push('runAsUser is unset or root');
        const expectedUser = IMAGE_USER_IDS[repositoryOf(container.image)] ?? APP_USER_ID;
        if (workload.kind === 'Deployment' && context.runAsUser !== expectedUser) {
          found.push(`runAsUser is not ${expectedUser}`);
        }
        if (container.securityContext?.readOnlyRootFilesystem !== true)
          found.push('root filesystem is writable');
        if (container.securityContext?.allowPrivilegeEscalation !== false)
          found.push('privilege escalation allowed');
        if (container.securityContext?.privileged) found.push('privileged');
        if (!container.securityContext?.capabilities?.drop?.includes('ALL'))
          found.push('capabilities not dropped');
        if ((container.securityContext?.capabilities?.add ?? []).length > 0)
          found.push('capabilities added');
        if (context.seccompProfile?.type !== 'RuntimeDefault')
          found.push('seccomp is not RuntimeDefault');
        return found;
      });
      expect(problems).toEqual([]);
    });

    it('run images pinned to a version: third-party ones always, Mercato’s own in prod', () => {
      const problems = eachContainer(objects(), (container) => {
        // dev deploys mercato/* untagged: Skaffold replaces the reference with the image it built.
        if (overlay !== 'prod' && container.image.startsWith('mercato/')) return [];
        const problem = unpinned(container.image);
        return problem === undefined ? [] : [`image ${container.image} ${problem}`];
      });
      expect(problems).toEqual([]);
    });

    it('get a writable /tmp from an emptyDir, since the root filesystem is read-only', () => {
      const problems = eachContainer(objects(), (container, pod) => {
        const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === '/tmp');
        const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
        return volume?.emptyDir && !mount?.readOnly ? [] : ['no writable emptyDir at /tmp'];
      });
      expect(problems).toEqual([]);
    });
  });

  describe('pods', () => {
    it('use their own ServiceAccount and never mount an API token', () => {
      const problems = workloads(objects()).flatMap((workload) => {
        const name = workload.pod.serviceAccountName;
        const account = name === undefined ? undefined : find(objects(), 'ServiceAccount', name);
        const found: string[] = [];
        if (!account) found.push(`ServiceAccount ${String(name)} is not rendered`);
        else if (account.automountServiceAccountToken !== false)
          found.push(`${name} automounts its token`);
        if (workload.pod.automountServiceAccountToken !== false)
          found.push('pod automounts a token');
        return found.map((problem) => `${workload.name}: ${problem}`);
      });
      expect(problems).toEqual([]);
    });

    it('of each service are scraped by Prometheus on their HTTP port', () => {
      for (const service of SERVICES) {
        const { podAnnotations } = serviceWorkload(objects(), service);
        expect({ service, ...podAnnotations }).toMatchObject({
          service,
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(DEFAULT_PORTS[service].http),
          'prometheus.io/path': '/metrics',
        });
      }
    });

    it('roll out without ever dropping below the desired count', () => {
      for (const service of SERVICES) {
        const { spec } = serviceWorkload(objects(), service);
        expect({ service, strategy: spec.strategy }).toMatchObject({
          service,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } },
        });
      }
    });
  });

  describe('references', () => {
    it('name only ConfigMaps, Secrets and keys that exist (or Secrets created outside git)', () => {
      const external = new Set(EXTERNAL_SECRETS[overlay]);
      expect(EXTERNAL_SECRETS[overlay]).toBeDefined();
      const rendered = objects();
      const check = (kind: 'ConfigMap' | 'Secret', name: string, key?: string): string[] => {
        const object = find(rendered, kind, name);
        if (!object)
          return kind === 'Secret' && external.has(name) ? [] : [`${kind} ${name} missing`];
        if (key === undefined) return [];
        const data = { ...(object.data as object), ...(object.stringData as object) };
        return key in data ? [] : [`${kind} ${name} has no key ${key}`];
      };
      const problems = workloads(rendered).flatMap((workload) => {
        const { pod } = workload;
        const fromContainers = [...pod.containers, ...(pod.initContainers ?? [])].flatMap(
          (container) => [
            ...(container.envFrom ?? []).flatMap((source) => [
              ...(source.configMapRef ? check('ConfigMap', source.configMapRef.name) : []),
              ...(source.secretRef ? check('Secret', source.secretRef.name) : []),
            ]),
            ...(container.env ?? []).flatMap(({ valueFrom }) => [
              ...(valueFrom?.configMapKeyRef
                ? check('ConfigMap', valueFrom.configMapKeyRef.name, valueFrom.configMapKeyRef.key)
                : []),
              ...(valueFrom?.secretKeyRef
                ? check('Secret', valueFrom.secretKeyRef.name, valueFrom.secretKeyRef.key)
                : []),
            ]),
          ],
        );
        const fromVolumes = (pod.volumes ?? []).flatMap((volume) => [
          ...(volume.configMap
            ? (volume.configMap.items ?? [{ key: undefined }]).flatMap((item) =>
                check('ConfigMap', volume.configMap!.name, item.key),
              )
            : []),
          ...(volume.secret
            ? (volume.secret.items ?? [{ key: undefined }]).flatMap((item) =>
                check('Secret', volume.secret!.secretName, item.key),
              )
            : []),
          ...(volume.projected?.sources ?? []).flatMap((source) => [
            ...(source.configMap ? check('ConfigMap', source.configMap.name) : []),
            ...(source.secret ? check('Secret', source.secret.name) : []),
          ]),
        ]);
        return [...fromContainers, ...fromVolumes].map((problem) => `${workload.name}: ${problem}`);
      });
      const fromIngresses = ofKind(rendered, 'Ingress').flatMap((ingress) =>
        ((ingress.spec as { tls?: Array<{ secretName?: string }> }).tls ?? []).flatMap((tls) =>
          tls.secretName === undefined ? [] : check('Secret', tls.secretName),
        ),
      );
      expect([...problems, ...fromIngresses]).toEqual([]);
    });

    it('has Services that select pods and target ports those pods declare', () => {
      const rendered = objects();
      const problems = ofKind(rendered, 'Service').flatMap((service) => {
        const spec = service.spec as {
          selector?: Labels;
          ports: Array<{ port: number; targetPort?: PortReference }>;
        };
        if (!spec.selector || Object.keys(spec.selector).length === 0) {
          return [`${service.metadata.name}: no selector`];
        }
        const targets = workloads(rendered).filter((workload) =>
          selects({ matchLabels: spec.selector }, workload.podLabels),
        );
        if (targets.length === 0) return [`${service.metadata.name}: selects no pods`];
        return targets.flatMap((target) =>
          spec.ports
            .filter((port) => !resolveContainerPort(target.pod, port.targetPort ?? port.port))
            .map(
              (port) =>
                `${service.metadata.name}: ${target.name} declares no port ${port.targetPort ?? port.port}`,
            ),
        );
      });
      expect(problems).toEqual([]);
    });

    it('gives every StatefulSet a headless governing Service', () => {
      for (const workload of workloads(objects()).filter(
        (candidate) => candidate.kind === 'StatefulSet',
      )) {
        const service = find(objects(), 'Service', String(workload.spec.serviceName));
        expect({
          workload: workload.name,
          clusterIP: (service?.spec as { clusterIP?: string } | undefined)?.clusterIP,
        }).toEqual({
          workload: workload.name,
          clusterIP: 'None',
        });
      }
    });
  });

  describe('exposure', () => {
    it('routes Ingress traffic to the gateway only, and no Service is exposed any other way', () => {
      const backends = ofKind(objects(), 'Ingress').flatMap((ingress) => {
        const spec = ingress.spec as {
          defaultBackend?: { service?: { name: string } };
          rules?: Array<{ http?: { paths: Array<{ backend: { service?: { name: string } } }> } }>;
        };
        const routed = (spec.rules ?? []).flatMap((rule) =>
          (rule.http?.paths ?? []).map((path) => path.backend.service?.name ?? '(not a Service)'),
        );
        return spec.defaultBackend
          ? [spec.defaultBackend.service?.name ?? '(not a Service)', ...routed]
          : routed;
      });
      expect(backends.filter((name) => name !== 'gateway')).toEqual([]);
      if (overlay === 'prod') expect(backends).toContain('gateway');
      const exposed = ofKind(objects(), 'Service')
        .filter((service) =>
          ['NodePort', 'LoadBalancer'].includes(String((service.spec as { type?: string }).type)),
        )
        .map((service) => service.metadata.name);
      expect(exposed).toEqual([]);
    });
  });

  describe('replicas', () => {
    if (overlay === 'prod') {
      it('keeps at least two pods of every service through autoscaling and disruption budgets', () => {
        for (const service of SERVICES) {
          const workload = serviceWorkload(objects(), service);
          const autoscaler = ofKind(objects(), 'HorizontalPodAutoscaler').find(
            (candidate) =>
              (candidate.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name ===
              service,
          );
          const budget = ofKind(objects(), 'PodDisruptionBudget').find((candidate) =>
            selects((candidate.spec as { selector: LabelSelector }).selector, workload.podLabels),
          );
          expect({
            service,
            minReplicas: (autoscaler?.spec as { minReplicas?: number } | undefined)?.minReplicas,
          }).toEqual({
            service,
            minReplicas: expect.any(Number),
          });
          expect((autoscaler!.spec as { minReplicas: number }).minReplicas).toBeGreaterThanOrEqual(
            2,
          );
          expect(budget).toBeDefined();
          // A fixed count would be reset by every apply and fight the autoscaler.
          expect(workload.replicas).toBeUndefined();
        }
      });
    } else {
      it('runs one pod of every service', () => {
        for (const service of SERVICES) {
          expect({ service, replicas: serviceWorkload(objects(), service).replicas }).toEqual({
            service,
            replicas: 1,
          });
        }
      });
    }
  });

  describe('network policies', () => {
    it('deny everything by default', () => {
      const denyAll = ofKind(objects(), 'NetworkPolicy').find((policy) => {
        const spec = policy.spec as NetworkPolicySpec;
        return (
          Object.keys(spec.podSelector).length === 0 &&
          spec.policyTypes?.includes('Ingress') &&
          spec.policyTypes.includes('Egress') &&
          !spec.ingress?.length &&
          !spec.egress?.length
        );
      });
      expect(denyAll).toBeDefined();
    });

    it('allow exactly the edges Mercato needs and nothing else', () => {
      const rendered = objects();
      const names = workloads(rendered).map((workload) => workload.name);
      expect(allowedEdges(rendered)).toEqual(expectedEdges(names));
    });
  });
});

// The tracing component in dev, and in prod as its README adds it.
const TRACING_RENDERS: ReadonlyArray<readonly [string, () => KubernetesObject[]]> = [
  ['dev', () => renderOverlay('dev')],
  ['prod with components/tracing', () => renderOverlayWith('prod', ['tracing'])],
];

describe.each(TRACING_RENDERS)('the tracing policies of %s', (_name, objects) => {
  const intoJaeger = () =>
    allowedEdges(objects()).filter((edge) => edge.split(' ')[2] === 'jaeger');

  it('let each of the four services send spans to jaeger on OTLP/HTTP', () => {
    const edges = allowedEdges(objects());
    for (const service of SERVICES) {
      expect(edges).toContain(`${service} -> jaeger ${tcp(JAEGER_OTLP_HTTP_PORT)}`);
    }
  });

  it('let nobody else reach jaeger, on the OTLP ports or any other', () => {
    const senders = intoJaeger().map((edge) => edge.split(' ')[0]);
    for (const outsider of [
      'kafka',
      'postgres',
      'ingress-controller',
      'prometheus',
      'stranger-in-namespace',
      'stranger-elsewhere',
      ANY_ADDRESS,
    ]) {
      expect({ outsider, reaches: senders.includes(outsider) }).toEqual({
        outsider,
        reaches: false,
      });
    }
    // Not the UI nor the health port either, and not OTLP/gRPC, which no service uses.
    expect(intoJaeger()).toEqual(
      SERVICES.map((service) => `${service} -> jaeger ${tcp(JAEGER_OTLP_HTTP_PORT)}`).sort(),
    );
    expect(intoJaeger().some((edge) => edge.endsWith(tcp(JAEGER_OTLP_GRPC_PORT)))).toBe(false);
  });

  it('let jaeger itself send nothing but DNS queries', () => {
    expect(
      allowedEdges(objects())
        .filter((edge) => edge.startsWith('jaeger -> '))
        .sort(),
    ).toEqual([`jaeger -> kube-dns ${tcp(DNS_PORT)}`, `jaeger -> kube-dns UDP/${DNS_PORT}`]);
  });

  it('owe the services’ way to jaeger to the component’s egress patch', () => {
    // Without the rule the component adds to each service's policy, default deny stops the spans.
    const unpatched = objects().map((object) => {
      if (object.kind !== 'NetworkPolicy') return object;
      const spec = object.spec as NetworkPolicySpec;
      const egress = spec.egress?.filter(
        (rule) =>
          !(rule.to ?? []).some(
            (peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'jaeger',
          ),
      );
      return { ...object, spec: { ...spec, ...(egress ? { egress } : {}) } };
    });
    expect(intoJaeger()).toHaveLength(SERVICES.length);
    expect(allowedEdges(unpatched).filter((edge) => edge.split(' ')[2] === 'jaeger')).toEqual([]);
  });
});

describe('the network-policy evaluation', () => {
  it('notices a rule that lets everyone in', () => {
    const rendered = renderOverlay('prod').map((object) =>
      object.kind === 'NetworkPolicy' && object.metadata.name === 'kafka'
        ? { ...object, spec: { ...(object.spec as object), ingress: [{}] } }
        : object,
    );
    const edges = allowedEdges(rendered);
    expect(edges).toContain('stranger-elsewhere -> kafka */*');
    expect(edges).toContain(`${ANY_ADDRESS} -> kafka */*`);
  });

  it('notices a jaeger rule that lets strangers write traces', () => {
    const rendered = renderOverlay('dev').map((object) =>
      object.kind === 'NetworkPolicy' && object.metadata.name === 'jaeger'
        ? {
            ...object,
            spec: {
              ...(object.spec as object),
              ingress: [{ ports: [{ protocol: 'TCP', port: 'otlp-http' }] }],
            },
          }
        : object,
    );
    expect(allowedEdges(rendered)).toContain(
      `stranger-elsewhere -> jaeger ${tcp(JAEGER_OTLP_HTTP_PORT)}`,
    );
  });
});

describe('the probe check', () => {
  it('takes an exec probe for a network check only where the image is known to need one', () => {
    const ping = { exec: { command: ['sh', '-c', 'test "$(redis-cli -p 6379 ping)" = PONG'] } };
    expect(probePort(ping, 'redis:7.4.9-alpine')).toBe(REDIS_PORT);
    expect(probePort(ping, 'mercato/gateway:0.1.0')).toBeUndefined();
    expect(probePort({ exec: { command: ['true'] } }, 'redis:7.4.9-alpine')).toBeUndefined();
    expect(probePort({ tcpSocket: { port: 'redis' } }, 'redis:7.4.9-alpine')).toBe('redis');
  });
});

describe('the image pinning check', () => {
  it('accepts a version tag or a digest and nothing else', () => {
    expect(unpinned('jaegertracing/jaeger:2.12.0')).toBeUndefined();
    expect(unpinned('postgres:17.6')).toBeUndefined();
    expect(unpinned(`jaegertracing/jaeger@sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(unpinned('jaegertracing/jaeger:latest')).toBe('has tag latest, not a version');
    expect(unpinned('jaegertracing/jaeger')).toBe('has neither a tag nor a digest');
  });
});

function eachContainer(
  objects: readonly KubernetesObject[],
  check: (container: Container, pod: PodSpec, workload: Workload) => string[],
): string[] {
  return workloads(objects).flatMap((workload) =>
    [...workload.pod.containers, ...(workload.pod.initContainers ?? [])].flatMap((container) =>
      check(container, workload.pod, workload).map(
        (problem) => `${workload.name}/${container.name}: ${problem}`,
      ),
    ),
  );
}

function probePort(probe: Probe, image: string): PortReference | undefined {
  const execPort = probe.exec && EXEC_PROBE_PORTS[repositoryOf(image)]?.(probe.exec.command);
  return probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port ?? execPort;
}
