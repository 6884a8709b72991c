import { describe, expect, it } from '@jest/globals';
import { posix } from 'node:path';
import { parse } from 'yaml';
import {
  dataOf,
  find,
  providedVariables,
  renderOverlay,
  renderOverlayWith,
  resolveContainerPort,
  selects,
  serviceWorkload,
  SERVICES,
  workloads,
  type Container,
  type KubernetesObject,
  type Labels,
  type PortReference,
  type Workload,
} from './k8s-support.js';
import { readCompose, type ComposeService } from './support/compose.js';
import { bytes } from './support/quantities.js';
import { readRepositoryFile } from './support/repository.js';

// The one Jaeger config file, and its copy in the tracing component (Kustomize reads no file
// outside a kustomization's directory).
const CONFIG_FILE = 'deploy/jaeger/config.yaml';
const COMPONENT_CONFIG_FILE = 'k8s/components/tracing/config.yaml';
const JAEGER_IMAGE = /^jaegertracing\/jaeger:\d+\.\d+\.\d+$/;
const ALL_INTERFACES = new Set(['0.0.0.0', '', '[::]', '::']);

/** The parts of a Jaeger v2 (OpenTelemetry Collector) config these tests read. */
interface JaegerConfig {
  readonly service: {
    readonly extensions: readonly string[];
    readonly pipelines: Readonly<
      Record<
        string,
        {
          readonly receivers: readonly string[];
          readonly processors?: readonly string[];
          readonly exporters: readonly string[];
        }
      >
    >;
  };
  readonly extensions: {
    readonly healthcheckv2?: {
      readonly use_v2?: boolean;
      readonly http?: { readonly endpoint?: string; readonly status?: { readonly path?: string } };
    };
    readonly jaeger_query?: {
      readonly storage?: { readonly traces?: string };
      readonly http?: { readonly endpoint?: string };
    };
    readonly jaeger_storage?: {
      readonly backends?: Readonly<
        Record<string, { readonly memory?: { readonly max_traces?: number } }>
      >;
    };
    readonly [name: string]: unknown;
  };
  readonly receivers: {
    readonly otlp?: {
      readonly protocols?: {
        readonly http?: { readonly endpoint?: string };
        readonly grpc?: { readonly endpoint?: string };
      };
    };
    readonly [name: string]: unknown;
  };
  readonly processors?: Readonly<Record<string, unknown>>;
  readonly exporters: {
    readonly jaeger_storage_exporter?: { readonly trace_storage?: string };
    readonly [name: string]: unknown;
  };
}

/** host and port of a collector `endpoint` (`0.0.0.0:4318`, `:4318`, `[::]:4318`). */
function listenAddress(endpoint: string | undefined): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(endpoint ?? '');
  if (!match) throw new Error(`not a host:port endpoint: ${String(endpoint)}`);
  return { host: match[1]!, port: Number(match[2]) };
}

const parseConfig = (text: string) => parse(text) as JaegerConfig;
const configFile = () => parseConfig(readRepositoryFile(CONFIG_FILE));

/** The value of `--config=PATH` or `--config PATH` among a command line's words. */
function configFlag(words: readonly string[]): string | undefined {
  for (const [index, word] of words.entries()) {
    if (word.startsWith('--config=')) return word.slice('--config='.length);
    if (word === '--config') return words[index + 1];
  }
  return undefined;
}

/** The text a pod finds at `path`, when a ConfigMap volume mounted in the container puts it there. */
function fileInPod(
  objects: readonly KubernetesObject[],
  workload: Workload,
  container: Container,
  path: string,
): string {
  for (const mount of container.volumeMounts ?? []) {
    const relativePath = posix.relative(mount.mountPath, path);
    if (!relativePath || relativePath.startsWith('..')) continue;
    const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount.name);
    if (!volume?.configMap) continue;
    const items = volume.configMap.items;
    const key = items
      ? items.find((item) => (item.path ?? item.key) === relativePath)?.key
      : relativePath;
    const configMap = find(objects, 'ConfigMap', volume.configMap.name);
    const text = key === undefined || !configMap ? undefined : dataOf(configMap)[key];
    if (text !== undefined) return text;
  }
  throw new Error(`${workload.name}/${container.name}: nothing mounted at ${path}`);
}

/** The container's environment as plain values (ConfigMaps and literal env). */
function environmentOf(
  objects: readonly KubernetesObject[],
  container: Container,
): Record<string, string | undefined> {
  return Object.fromEntries(
    providedVariables(objects, container).map(({ name, value }) => [name, value]),
  );
}

interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: PortReference;
}

/** The Service port an in-cluster URL names, and the pods' container port it leads to. */
function resolveServiceUrl(objects: readonly KubernetesObject[], url: URL) {
  // `name`, `name.namespace`, `name.namespace.svc`, `name.namespace.svc.cluster.local`.
  const [name = '', namespace] = url.hostname.split('.');
  const service = find(objects, 'Service', name);
  if (!service) throw new Error(`no Service ${name} for ${url.href}`);
  if (namespace !== undefined && namespace !== service.metadata.namespace) {
    throw new Error(`${url.href} names namespace ${namespace}, the Service is elsewhere`);
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const spec = service.spec as { selector: Labels; ports: readonly ServicePort[] };
  const servicePort = spec.ports.find((candidate) => candidate.port === port);
  if (!servicePort) throw new Error(`Service ${name} has no port ${port} (${url.href})`);
  const targets = workloads(objects).filter((workload) =>
    selects({ matchLabels: spec.selector }, workload.podLabels),
  );
  return {
    servicePort,
    targets: targets.map((workload) => ({
      workload,
      containerPort: resolveContainerPort(workload.pod, servicePort.targetPort ?? servicePort.port)
        ?.port,
    })),
  };
}

/** The rendered Jaeger Deployment, its container and the config it starts with. */
function jaegerOf(objects: readonly KubernetesObject[]) {
  const workload = workloads(objects).find(
    (candidate) => candidate.kind === 'Deployment' && candidate.name === 'jaeger',
  );
  if (!workload) throw new Error('no Deployment jaeger in the render');
  const container = workload.pod.containers.find((candidate) => JAEGER_IMAGE.test(candidate.image));
  if (!container) throw new Error('the jaeger Deployment runs no jaegertracing/jaeger image');
  const path = configFlag([...(container.command ?? []), ...(container.args ?? [])]);
  if (path === undefined) throw new Error('jaeger starts without --config');
  const text = fileInPod(objects, workload, container, path);
  return { workload, container, text, config: parseConfig(text) };
}

const servicePortNamed = (objects: readonly KubernetesObject[], name: string) => {
  const service = find(objects, 'Service', 'jaeger');
  const ports = (service?.spec as { ports: readonly ServicePort[] } | undefined)?.ports ?? [];
  const port = ports.find((candidate) => candidate.name === name);
  if (!port) throw new Error(`Service jaeger has no port named ${name}`);
  return port;
};

describe('the Jaeger config file', () => {
  const config = configFile();

  it('is YAML, and the tracing component’s copy is the same file', () => {
    expect(config.service.pipelines.traces).toBeDefined();
    expect(readRepositoryFile(COMPONENT_CONFIG_FILE)).toBe(readRepositoryFile(CONFIG_FILE));
  });

  it('receives OTLP over HTTP on 0.0.0.0:4318 and gRPC on 0.0.0.0:4317', () => {
    expect(listenAddress(config.receivers.otlp?.protocols?.http?.endpoint)).toEqual({
      host: '0.0.0.0',
      port: 4318,
    });
    expect(listenAddress(config.receivers.otlp?.protocols?.grpc?.endpoint)).toEqual({
      host: '0.0.0.0',
      port: 4317,
    });
  });

  it('stores the traces pipeline in a bounded memory store that the UI queries', () => {
    const traces = config.service.pipelines.traces!;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.exporters).toEqual(['jaeger_storage_exporter']);
    const store = config.exporters.jaeger_storage_exporter?.trace_storage;
    expect(store).toBeDefined();
    const maxTraces = config.extensions.jaeger_storage?.backends?.[store!]?.memory?.max_traces;
    expect(Number.isInteger(maxTraces) && maxTraces! > 0).toBe(true);
    expect(config.extensions.jaeger_query?.storage?.traces).toBe(store);
  });

  it('switches on exactly the components it configures', () => {
    const used = {
      extensions: [...config.service.extensions].sort(),
      receivers: [...new Set(Object.values(config.service.pipelines).flatMap((p) => p.receivers))],
      processors: [
        ...new Set(Object.values(config.service.pipelines).flatMap((p) => p.processors ?? [])),
      ],
      exporters: [...new Set(Object.values(config.service.pipelines).flatMap((p) => p.exporters))],
    };
    expect(used).toEqual({
      extensions: Object.keys(config.extensions).sort(),
      receivers: Object.keys(config.receivers),
      processors: Object.keys(config.processors ?? {}),
      exporters: Object.keys(config.exporters),
    });
    expect(used.extensions).toEqual(['healthcheckv2', 'jaeger_query', 'jaeger_storage']);
  });

  it('serves the UI and the health check on every interface, the health check on /status', () => {
    const health = config.extensions.healthcheckv2;
    expect(health?.use_v2).toBe(true);
    expect(health?.http?.status?.path ?? '/status').toBe('/status');
    for (const endpoint of [
      health?.http?.endpoint,
      config.extensions.jaeger_query?.http?.endpoint,
    ]) {
      expect({ endpoint, allInterfaces: ALL_INTERFACES.has(listenAddress(endpoint).host) }).toEqual(
        {
          endpoint,
          allInterfaces: true,
        },
      );
    }
  });
});

describe('tracing in Kubernetes', () => {
  const dev = () => renderOverlay('dev');
  const prod = () => renderOverlay('prod');

  it('dev renders the tracing component: the jaeger Deployment, Service, ConfigMap and policy', () => {
    const { workload, container, text } = jaegerOf(dev());
    expect(workload.replicas).toBe(1);
    expect(container.image).toMatch(JAEGER_IMAGE);
    expect(find(dev(), 'Service', 'jaeger')).toBeDefined();
    expect(find(dev(), 'NetworkPolicy', 'jaeger')).toBeDefined();
    const configMaps = (workload.pod.volumes ?? []).flatMap((volume) =>
      volume.configMap ? [volume.configMap.name] : [],
    );
    expect(configMaps).toEqual([expect.stringMatching(/^jaeger-config-[a-z0-9]+$/)]);
    expect(find(dev(), 'ConfigMap', configMaps[0]!)).toBeDefined();
    // The file Jaeger starts with is the repository's config file, byte for byte.
    expect(text).toBe(readRepositoryFile(CONFIG_FILE));
  });

  it('dev samples every trace', () => {
    for (const service of SERVICES) {
      const [container] = serviceWorkload(dev(), service).pod.containers;
      expect({ service, ratio: environmentOf(dev(), container!).OTEL_TRACES_SAMPLER_ARG }).toEqual({
        service,
        ratio: '1',
      });
    }
  });

  it('prod renders no Jaeger and sets no endpoint, but samples one trace in ten', () => {
    const jaegerObjects = prod()
      .filter(
        (object) =>
          object.metadata.name.startsWith('jaeger') ||
          (object.metadata.labels ?? {})['app.kubernetes.io/name'] === 'jaeger',
      )
      .map((object) => `${object.kind}/${object.metadata.name}`);
    expect(jaegerObjects).toEqual([]);
    const images = workloads(prod()).flatMap((workload) =>
      workload.pod.containers.map((container) => container.image),
    );
    expect(images.filter((image) => image.startsWith('jaegertracing/'))).toEqual([]);
    for (const service of SERVICES) {
      const [container] = serviceWorkload(prod(), service).pod.containers;
      const environment = environmentOf(prod(), container!);
      expect({
        service,
        ratio: environment.OTEL_TRACES_SAMPLER_ARG,
        endpoint: environment.OTEL_EXPORTER_OTLP_ENDPOINT,
      }).toEqual({ service, ratio: '0.1', endpoint: undefined });
    }
  });

  it('points every service in dev at the jaeger Service port that leads to the OTLP/HTTP receiver', () => {
    const { workload, config } = jaegerOf(dev());
    const receiverPort = listenAddress(config.receivers.otlp?.protocols?.http?.endpoint).port;
    for (const service of SERVICES) {
      const [container] = serviceWorkload(dev(), service).pod.containers;
      const endpoint = environmentOf(dev(), container!).OTEL_EXPORTER_OTLP_ENDPOINT;
      expect({ service, endpoint: typeof endpoint }).toEqual({ service, endpoint: 'string' });
      const url = new URL(endpoint!);
      // The exporter appends /v1/traces to the base URL.
      expect({ service, protocol: url.protocol, path: url.pathname }).toEqual({
        service,
        protocol: 'http:',
        path: '/',
      });
      const { servicePort, targets } = resolveServiceUrl(dev(), url);
      expect({ service, servicePort: servicePort.name, targets }).toEqual({
        service,
        servicePort: 'otlp-http',
        targets: [
          {
            workload: expect.objectContaining({ name: workload.name }),
            containerPort: receiverPort,
          },
        ],
      });
    }
  });

  it('probes Jaeger on /status where healthcheckv2 listens, and its ui port leads to the UI', () => {
    const { workload, container, config } = jaegerOf(dev());
    const healthPort = listenAddress(config.extensions.healthcheckv2?.http?.endpoint).port;
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      const check = container[probe]?.httpGet;
      expect({
        probe,
        path: check?.path,
        port: check && resolveContainerPort(workload.pod, check.port)?.port,
      }).toEqual({ probe, path: '/status', port: healthPort });
    }
    const ui = servicePortNamed(dev(), 'ui');
    expect(resolveContainerPort(workload.pod, ui.targetPort ?? ui.port)?.port).toBe(
      listenAddress(config.extensions.jaeger_query?.http?.endpoint).port,
    );
  });

  it('exposes through the Service only ports the config listens on, on every interface', () => {
    const { workload, config } = jaegerOf(dev());
    const listening = new Map(
      [
        config.receivers.otlp?.protocols?.http?.endpoint,
        config.receivers.otlp?.protocols?.grpc?.endpoint,
        config.extensions.jaeger_query?.http?.endpoint,
      ].map((endpoint) => {
        const { host, port } = listenAddress(endpoint);
        return [port, host] as const;
      }),
    );
    const service = find(dev(), 'Service', 'jaeger');
    const targets = (service!.spec as { ports: readonly ServicePort[] }).ports.map(
      (port) => resolveContainerPort(workload.pod, port.targetPort ?? port.port)?.port,
    );
    expect(targets.sort()).toEqual([...listening.keys()].sort());
    for (const port of targets) expect(ALL_INTERFACES.has(listening.get(port!)!)).toBe(true);
  });

  it('is a component prod can add: prod with it runs Jaeger, exports to it, still samples one in ten', () => {
    const objects = renderOverlayWith('prod', ['tracing']);
    const { config } = jaegerOf(objects);
    const receiverPort = listenAddress(config.receivers.otlp?.protocols?.http?.endpoint).port;
    for (const service of SERVICES) {
      const [container] = serviceWorkload(objects, service).pod.containers;
      const environment = environmentOf(objects, container!);
      expect({ service, ratio: environment.OTEL_TRACES_SAMPLER_ARG }).toEqual({
        service,
        ratio: '0.1',
      });
      const { targets } = resolveServiceUrl(
        objects,
        new URL(environment.OTEL_EXPORTER_OTLP_ENDPOINT!),
      );
      expect(targets.map((target) => [target.workload.name, target.containerPort])).toEqual([
        ['jaeger', receiverPort],
      ]);
    }
  });
});

describe('tracing in docker-compose.yml', () => {
  const compose = readCompose();
  const jaeger = (): ComposeService => {
    const service = compose.services.jaeger;
    if (!service) throw new Error('docker-compose.yml has no service jaeger');
    return service;
  };

  /** The host file mounted at a container path, and whether read-only. */
  const mountAt = (service: ComposeService, path: string) =>
    (service.volumes ?? [])
      .map((volume) => volume.split(':'))
      .map(([source, target, mode]) => ({ source, target, mode }))
      .find((volume) => volume.target === path);

  it('runs the pinned Jaeger image the tracing component runs', () => {
    expect(jaeger().image).toMatch(JAEGER_IMAGE);
    expect(jaeger().image).toBe(jaegerOf(renderOverlay('dev')).container.image);
  });

  it('starts Jaeger with deploy/jaeger/config.yaml, mounted read-only', () => {
    const path = configFlag(jaeger().command ?? []);
    expect(path).toBeDefined();
    expect(mountAt(jaeger(), path!)).toEqual({
      source: `./${CONFIG_FILE}`,
      target: path,
      mode: 'ro',
    });
  });

  it('checks Jaeger’s health on healthcheckv2’s /status', () => {
    const test = jaeger().healthcheck?.test ?? [];
    const url = test.find((word) => /^https?:\/\//.test(word));
    expect(url).toBeDefined();
    const { pathname, port } = new URL(url!);
    expect({ pathname, port: Number(port) }).toEqual({
      pathname: '/status',
      port: listenAddress(configFile().extensions.healthcheckv2?.http?.endpoint).port,
    });
  });

  it('publishes the UI on localhost:16686, where jaeger_query serves it', () => {
    const uiPort = listenAddress(configFile().extensions.jaeger_query?.http?.endpoint).port;
    const published = (jaeger().ports ?? []).map((mapping) => mapping.split(':').map(Number));
    expect(published).toContainEqual([16686, uiPort]);
  });

  it('limits Jaeger’s memory, and the Go runtime’s, as the tracing component does', () => {
    const { container } = jaegerOf(renderOverlay('dev'));
    const limit = bytes(container.resources?.limits?.memory);
    expect(bytes(jaeger().mem_limit)).toBe(limit);
    const goMemoryLimit = container.env?.find((variable) => variable.name === 'GOMEMLIMIT')?.value;
    expect(jaeger().environment?.GOMEMLIMIT).toBe(goMemoryLimit);
    expect(bytes(goMemoryLimit?.replace(/iB$/, 'i'))).toBeLessThan(limit);
  });

  it.each(SERVICES)('sends the spans of %s to jaeger’s OTLP/HTTP receiver, every trace', (name) => {
    const environment = compose.services[name]?.environment ?? {};
    const url = new URL(String(environment.OTEL_EXPORTER_OTLP_ENDPOINT));
    const receiver = listenAddress(configFile().receivers.otlp?.protocols?.http?.endpoint);
    expect({
      protocol: url.protocol,
      host: url.hostname,
      isService: url.hostname in compose.services,
      port: Number(url.port),
      path: url.pathname,
      ratio: String(environment.OTEL_TRACES_SAMPLER_ARG),
    }).toEqual({
      protocol: 'http:',
      host: 'jaeger',
      isService: true,
      port: receiver.port,
      path: '/',
      ratio: '1',
    });
  });

  it('never makes a service wait for Jaeger to be healthy', () => {
    const waits = Object.entries(compose.services).flatMap(([name, service]) => {
      const dependsOn = service.depends_on as
        Record<string, { condition?: string }> | readonly string[] | undefined;
      if (Array.isArray(dependsOn)) return [];
      const condition = (dependsOn as Record<string, { condition?: string }> | undefined)?.jaeger
        ?.condition;
      return condition === undefined || condition === 'service_started'
        ? []
        : [`${name}: ${condition}`];
    });
    // Services do wait for others (kafka, postgres), so the check has conditions to look at.
    expect(Object.values(compose.services).some((service) => service.depends_on)).toBe(true);
    expect(waits).toEqual([]);
  });
});
