import { describe, expect, it } from '@jest/globals';
import {
  allowedEdges,
  find,
  ofKind,
  OVERLAYS,
  providedVariables,
  renderOverlay,
  resolveContainerPort,
  selects,
  serviceWorkload,
  workloads,
  type Container,
  type KubernetesObject,
  type Labels,
  type NetworkPolicySpec,
  type PortReference,
  type Workload,
} from './k8s-support.js';
import { readCompose, type ComposeService } from './support/compose.js';
import { bytes } from './support/quantities.js';
import {
  configValue,
  redisBytes,
  redisOptions,
  shellExitCode,
  startRedisServer,
} from './support/redis-server.js';

// The official image, a 7.4 patch release, Alpine-based; its redis user is 999 (group 1000).
const REDIS_IMAGE = /^redis:7\.4\.\d+-alpine$/;
const REDIS_USER = 999;
// Where redis-server listens when no --port is given.
const REDIS_DEFAULT_PORT = 6379;
// The probe and the healthcheck: PING over TCP, healthy only on PONG.
const PING_LINE = /^test "\$\(redis-cli -p (\d+) ping\)" = PONG$/;

/** The rendered Redis Deployment and its container. */
function redisOf(objects: readonly KubernetesObject[]) {
  const workload = serviceWorkload(objects, 'redis');
  const container = workload.pod.containers.find((candidate) => REDIS_IMAGE.test(candidate.image));
  if (!container) throw new Error('the redis Deployment runs no redis:7.4.x-alpine image');
  return { workload, container };
}

/** redis-server's own arguments from a container's (or compose service's) command line. */
function serverArguments(words: readonly string[]): string[] {
  const [program, ...args] = words;
  if (program !== 'redis-server') throw new Error(`starts ${String(program)}, not redis-server`);
  return args;
}

const containerArguments = (container: Container) =>
  serverArguments([...(container.command ?? []), ...(container.args ?? [])]);

/** The port redis-server listens on with these arguments. */
function listenPort(args: readonly string[]): number {
  const port = redisOptions(args).port;
  return port === undefined ? REDIS_DEFAULT_PORT : Number(port[0]);
}

/** The port a `sh -c 'test "$(redis-cli -p N ping)" = PONG'` probe asks. */
function pingPort(command: readonly string[] | undefined): number | undefined {
  const [shell, flag, line] = command ?? [];
  if (shell !== 'sh' || flag !== '-c' || command?.length !== 3) return undefined;
  const port = PING_LINE.exec(line ?? '')?.[1];
  return port === undefined ? undefined : Number(port);
}

/** The most gateway pods an overlay can run: its fixed count, or its autoscaler's maximum. */
function gatewayMaxReplicas(objects: readonly KubernetesObject[]): number {
  const autoscaler = ofKind(objects, 'HorizontalPodAutoscaler').find((candidate) => {
    const target = (candidate.spec as { scaleTargetRef: { kind: string; name: string } })
      .scaleTargetRef;
    return target.kind === 'Deployment' && target.name === 'gateway';
  });
  const fixed = serviceWorkload(objects, 'gateway').replicas ?? 1;
  return Math.max(
    fixed,
    (autoscaler?.spec as { maxReplicas?: number } | undefined)?.maxReplicas ?? 0,
  );
}

/**
 * The ports the NetworkPolicies that select the Redis pod admit a pod with `labels` in the same
 * namespace on, resolved against the Redis pod's container ports; empty: refused.
 */
function admittedPorts(
  objects: readonly KubernetesObject[],
  redis: Workload,
  labels: Labels,
): Array<number | string> {
  const policies = ofKind(objects, 'NetworkPolicy')
    .map((policy) => policy.spec as NetworkPolicySpec)
    .filter(
      (spec) =>
        (spec.policyTypes ?? ['Ingress']).includes('Ingress') &&
        selects(spec.podSelector, redis.podLabels),
    );
  if (policies.length === 0) throw new Error('no NetworkPolicy selects the Redis pod');
  return policies.flatMap((spec) =>
    (spec.ingress ?? []).flatMap((rule) => {
      const admits =
        !rule.from?.length ||
        rule.from.some(
          (peer) => !peer.ipBlock && !peer.namespaceSelector && selects(peer.podSelector, labels),
        );
      if (!admits) return [];
      if (!rule.ports?.length) return ['all ports'];
      return rule.ports.map((port) =>
        port.port === undefined
          ? 'all ports'
          : (resolveContainerPort(redis.pod, port.port)?.port ?? port.port),
      );
    }),
  );
}

const withoutRedisEgress = (objects: readonly KubernetesObject[]) =>
  objects.map((object) => {
    if (object.kind !== 'NetworkPolicy') return object;
    const spec = object.spec as NetworkPolicySpec;
    const egress = spec.egress?.filter(
      (rule) =>
        !(rule.to ?? []).some(
          (peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'redis',
        ),
    );
    return { ...object, spec: { ...spec, ...(egress ? { egress } : {}) } };
  });

const intoRedis = (objects: readonly KubernetesObject[]) =>
  allowedEdges(objects).filter((edge) => edge.split(' ')[2] === 'redis');

// The overlays that render Redis (rate-limit-redis component). `.each` of none fails the suite.
const REDIS_OVERLAYS = OVERLAYS.filter((overlay) =>
  workloads(renderOverlay(overlay)).some((workload) => workload.name === 'redis'),
);

describe('where the rate-limit Redis runs', () => {
  it('reads the gateway’s replica bound from the HPA where there is one, else from the Deployment', () => {
    expect({
      dev: gatewayMaxReplicas(renderOverlay('dev')),
      prod: gatewayMaxReplicas(renderOverlay('prod')),
    }).toEqual({ dev: 1, prod: 10 });
  });

  it('is rendered, with its Service and NetworkPolicy, by every overlay that can run more than one gateway', () => {
    const scaling = OVERLAYS.filter((overlay) => gatewayMaxReplicas(renderOverlay(overlay)) > 1);
    expect(scaling).toContain('prod');
    for (const overlay of scaling) {
      const objects = renderOverlay(overlay);
      expect({
        overlay,
        deployment: find(objects, 'Deployment', 'redis') !== undefined,
        service: find(objects, 'Service', 'redis') !== undefined,
        networkPolicy: find(objects, 'NetworkPolicy', 'redis') !== undefined,
      }).toEqual({ overlay, deployment: true, service: true, networkPolicy: true });
    }
    expect(REDIS_OVERLAYS).toEqual(expect.arrayContaining(scaling));
  });
});

describe.each(REDIS_OVERLAYS)('the rate-limit Redis of overlay %s', (overlay) => {
  const objects = () => renderOverlay(overlay);

  it('is where the gateway’s RATE_LIMIT_REDIS_URL points: the redis Service’s port, on to the port Redis listens on', () => {
    const { workload, container } = redisOf(objects());
    const [gateway] = serviceWorkload(objects(), 'gateway').pod.containers;
    const variable = providedVariables(objects(), gateway!).find(
      (candidate) => candidate.name === 'RATE_LIMIT_REDIS_URL',
    );
    expect(variable?.value).toEqual(expect.any(String));
    const url = new URL(variable!.value!);
    const service = find(objects(), 'Service', url.hostname);
    const spec = service?.spec as
      | {
          selector: Labels;
          ports: ReadonlyArray<{ name?: string; port: number; targetPort?: PortReference }>;
        }
      | undefined;
    const servicePort = spec?.ports.find((port) => port.port === Number(url.port));
    expect({
      protocol: url.protocol,
      service: service?.metadata.name,
      path: url.pathname,
      selects: workloads(objects())
        .filter((candidate) => selects({ matchLabels: spec?.selector ?? {} }, candidate.podLabels))
        .map((candidate) => candidate.name),
      targetPort:
        servicePort &&
        resolveContainerPort(workload.pod, servicePort.targetPort ?? servicePort.port)?.port,
    }).toEqual({
      protocol: 'redis:',
      service: 'redis',
      path: '',
      selects: ['redis'],
      targetPort: listenPort(containerArguments(container)),
    });
  });

  it('runs one pod of the pinned official Alpine image, the old pod gone before a new one starts', () => {
    const { workload, container } = redisOf(objects());
    expect({
      replicas: workload.replicas,
      strategy: workload.spec.strategy,
      image: container.image,
      autoscaled: ofKind(objects(), 'HorizontalPodAutoscaler').some(
        (autoscaler) =>
          (autoscaler.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === 'redis',
      ),
    }).toEqual({
      replicas: 1,
      strategy: { type: 'Recreate' },
      image: expect.stringMatching(REDIS_IMAGE),
      autoscaled: false,
    });
  });

  it('starts redis-server as a cache: nothing saved, 48 MiB at most, volatile-ttl eviction, protected mode off', () => {
    expect(redisOptions(containerArguments(redisOf(objects()).container))).toEqual({
      save: [''],
      appendonly: ['no'],
      maxmemory: ['48mb'],
      'maxmemory-policy': ['volatile-ttl'],
      'protected-mode': ['no'],
    });
  });

  it('probes the port Redis listens on: startup by TCP, liveness and readiness wanting PONG', () => {
    const { workload, container } = redisOf(objects());
    const port = listenPort(containerArguments(container));
    const startup = container.startupProbe?.tcpSocket?.port;
    expect({
      startup:
        startup === undefined ? undefined : resolveContainerPort(workload.pod, startup)?.port,
      liveness: pingPort(container.livenessProbe?.exec?.command),
      readiness: pingPort(container.readinessProbe?.exec?.command),
    }).toEqual({ startup: port, liveness: port, readiness: port });
  });

  it('requests and limits cpu and memory, maxmemory well below the memory limit', () => {
    const { container } = redisOf(objects());
    const { requests, limits } = container.resources ?? {};
    expect({
      requests: Object.keys(requests ?? {}).sort(),
      limits: Object.keys(limits ?? {}).sort(),
    }).toEqual({ requests: ['cpu', 'memory'], limits: ['cpu', 'memory'] });
    const limit = bytes(limits?.memory);
    const maxmemory = redisBytes(redisOptions(containerArguments(container)).maxmemory?.[0]);
    expect(bytes(requests?.memory)).toBeLessThanOrEqual(limit);
    // The process itself, the allocator's fragmentation and client buffers need the rest
    // (memory-budget.test.ts fills a real redis-server to measure it).
    expect(maxmemory).toBeLessThanOrEqual(limit / 1.5);
  });

  it('runs restricted as the image’s redis user: read-only root, emptyDirs for /data and /tmp, no token', () => {
    const { workload, container } = redisOf(objects());
    const account = find(objects(), 'ServiceAccount', workload.pod.serviceAccountName ?? '');
    const emptyDirAt = (path: string) => {
      const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === path);
      const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount?.name);
      return volume?.emptyDir !== undefined && mount?.readOnly !== true;
    };
    expect({
      pod: workload.pod.securityContext,
      container: container.securityContext,
      data: emptyDirAt('/data'),
      tmp: emptyDirAt('/tmp'),
      podToken: workload.pod.automountServiceAccountToken,
      account: account?.metadata.name,
      accountToken: account?.automountServiceAccountToken,
    }).toEqual({
      pod: expect.objectContaining({
        runAsNonRoot: true,
        runAsUser: REDIS_USER,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      container: {
        runAsNonRoot: true,
        runAsUser: REDIS_USER,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      data: true,
      tmp: true,
      podToken: false,
      account: 'redis',
      accountToken: false,
    });
  });

  it('admits the gateway’s pods on the Redis port and refuses every other service’s', () => {
    const { workload, container } = redisOf(objects());
    const port = listenPort(containerArguments(container));
    const others = workloads(objects()).filter(
      (candidate) => candidate.name !== 'gateway' && candidate.name !== 'redis',
    );
    expect(others.map((other) => other.name)).toEqual(
      expect.arrayContaining(['order', 'product', 'payment']),
    );
    expect(
      admittedPorts(objects(), workload, serviceWorkload(objects(), 'gateway').podLabels),
    ).toEqual([port]);
    for (const other of others) {
      expect({
        from: other.name,
        ports: admittedPorts(objects(), workload, other.podLabels),
      }).toEqual({ from: other.name, ports: [] });
    }
    // Both ends together, with the namespace, the outsiders and default deny: the gateway only.
    expect(intoRedis(objects())).toEqual([`gateway -> redis TCP/${port}`]);
  });

  it('lets Redis itself send nothing but DNS queries', () => {
    expect(allowedEdges(objects()).filter((edge) => edge.startsWith('redis -> '))).toEqual([
      'redis -> kube-dns TCP/53',
      'redis -> kube-dns UDP/53',
    ]);
  });

  it('owes the gateway’s way to Redis to the component’s egress patch', () => {
    expect(intoRedis(objects())).toHaveLength(1);
    expect(intoRedis(withoutRedisEgress(objects()))).toEqual([]);
  });

  it('would notice a Redis policy that lets everyone in', () => {
    const { workload } = redisOf(objects());
    const opened = objects().map((object) =>
      object.kind === 'NetworkPolicy' && object.metadata.name === 'redis'
        ? { ...object, spec: { ...(object.spec as object), ingress: [{}] } }
        : object,
    );
    expect(admittedPorts(opened, workload, serviceWorkload(opened, 'order').podLabels)).toEqual([
      'all ports',
    ]);
    expect(intoRedis(opened)).toContain('stranger-elsewhere -> redis */*');
  });
});

describe('the Redis arguments on a real redis-server', () => {
  const args = () => containerArguments(redisOf(renderOverlay('prod')).container);

  it('start it, and it runs with the configuration they ask for', async () => {
    const redis = await startRedisServer(args());
    try {
      const reported: Record<string, string> = {};
      for (const name of ['save', 'appendonly', 'maxmemory', 'maxmemory-policy', 'protected-mode'])
        reported[name] = await configValue(redis, name);
      expect(reported).toEqual({
        save: '',
        appendonly: 'no',
        maxmemory: String(48 * 2 ** 20),
        'maxmemory-policy': 'volatile-ttl',
        'protected-mode': 'no',
      });
    } finally {
      await redis.stop();
    }
  });

  it('make the probe pass while Redis answers PONG, and fail on an error reply or no answer', async () => {
    const { container } = redisOf(renderOverlay('prod'));
    const line = container.livenessProbe?.exec?.command[2] ?? '';
    const port = listenPort(args());
    const redis = await startRedisServer(args());
    // The probe's line, asking the test's server instead of the pod's port.
    const probe = line.replace(`-p ${port} `, `-p ${redis.port} `);
    expect(probe).not.toBe(line);
    try {
      expect(await shellExitCode(probe)).toBe(0);
      // Now PING gets NOAUTH: redis-cli itself still exits 0, the probe does not.
      await redis.cli('config', 'set', 'requirepass', 'probe-test');
      expect(await shellExitCode(`redis-cli -p ${redis.port} ping`)).toBe(0);
      expect(await shellExitCode(probe)).not.toBe(0);
    } finally {
      await redis.stop();
    }
    expect(await shellExitCode(probe)).not.toBe(0);
  });

  it('are refused by redis-server when misspelt, so the runs above can fail', async () => {
    await expect(
      startRedisServer([...args(), '--maxmemory-polcy', 'volatile-ttl']),
    ).rejects.toThrow(/exited/);
  });
});

describe('the rate-limit Redis in docker-compose.yml', () => {
  const compose = readCompose();
  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
    return found;
  };
  const pod = () => redisOf(renderOverlay('dev')).container;

  it('runs the image and the command line the pods run', () => {
    expect({ image: service('redis').image, command: service('redis').command }).toEqual({
      image: pod().image,
      command: [...(pod().command ?? []), ...(pod().args ?? [])],
    });
  });

  it('is where the gateway’s RATE_LIMIT_REDIS_URL points, on the port Redis listens on', () => {
    const url = new URL(String(service('gateway').environment?.RATE_LIMIT_REDIS_URL));
    expect({
      protocol: url.protocol,
      host: url.hostname,
      port: Number(url.port),
      path: url.pathname,
    }).toEqual({
      protocol: 'redis:',
      host: 'redis',
      port: listenPort(serverArguments(service('redis').command ?? [])),
      path: '',
    });
  });

  it('is healthchecked with the pods’ PONG probe and limited to the pods’ memory', () => {
    expect(service('redis').healthcheck?.test).toEqual([
      'CMD-SHELL',
      pod().livenessProbe?.exec?.command[2],
    ]);
    expect(pingPort(['sh', '-c', String(service('redis').healthcheck?.test[1])])).toBe(
      listenPort(serverArguments(service('redis').command ?? [])),
    );
    expect(bytes(service('redis').mem_limit)).toBe(bytes(pod().resources?.limits?.memory));
  });

  it('starts before the gateway, which never waits for it to be healthy (it fails open)', () => {
    expect(service('gateway').depends_on?.redis).toEqual({ condition: 'service_started' });
    const waitingForHealthy = Object.entries(compose.services)
      .filter(([, candidate]) => candidate.depends_on?.redis?.condition === 'service_healthy')
      .map(([name]) => name);
    expect(waitingForHealthy).toEqual([]);
  });

  it('publishes no port: without a password, only the compose network may reach it', () => {
    expect(service('redis').ports ?? []).toEqual([]);
  });
});
