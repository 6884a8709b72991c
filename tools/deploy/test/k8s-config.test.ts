import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { describeVariables, loadConfig, type z } from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { gatewayConfigSchema } from '@mercato/gateway-service';
import { orderConfigSchema } from '@mercato/order-service';
import { paymentConfigSchema } from '@mercato/payment-service';
import { productConfigSchema } from '@mercato/product-service';
import {
  dataOf,
  find,
  OVERLAYS,
  providedVariables,
  renderOverlay,
  resolveContainerPort,
  serviceWorkload,
  SERVICES,
  type Container,
  type KubernetesObject,
  type ProvidedVariable,
  type ServiceName,
  type Workload,
} from './k8s-support.js';

const SCHEMAS: Readonly<Record<ServiceName, z.ZodObject>> = {
  gateway: gatewayConfigSchema,
  product: productConfigSchema,
  order: orderConfigSchema,
  payment: paymentConfigSchema,
};

// Credentials the schemas do not mark as secret() but that carry a password all the same.
const CREDENTIAL_VARIABLES: ReadonlySet<string> = new Set(['DATABASE_URL']);

// What stands in for a Secret created outside git (prod) when the configuration is loaded.
const EXTERNAL_SECRET_SAMPLES: Readonly<Record<string, string>> = {
  JWT_SECRET: 'an-externally-created-secret-of-48-characters!!',
  DATABASE_URL: 'postgres://service:password@postgres:5432/service',
};

const FILE_SUFFIX = '_FILE';

const scratch = mkdtempSync(join(tmpdir(), 'mercato-k8s-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(OVERLAYS)('configuration in overlay %s', (overlay) => {
  describe.each(SERVICES)('the %s container', (service) => {
    const context = () => {
      const objects = renderOverlay(overlay);
      const workload = serviceWorkload(objects, service);
      const container = workload.pod.containers.find((candidate) => candidate.name === service);
      if (!container) throw new Error(`${service} has no container named ${service}`);
      return { objects, workload, container, provided: providedVariables(objects, container) };
    };
    const variables = describeVariables(SCHEMAS[service]);

    it('gets every variable its schema requires, directly or through NAME_FILE', () => {
      const names = new Set(context().provided.map((variable) => variable.name));
      const missing = variables
        .filter((variable) => variable.required)
        .filter(({ name }) => !names.has(name) && !names.has(`${name}${FILE_SUFFIX}`))
        .map(({ name }) => name);
      expect(variables.some((variable) => variable.required)).toBe(true);
      expect(missing).toEqual([]);
    });

    it('gets no variable its schema does not know, and never both NAME and NAME_FILE', () => {
      const known = new Set(variables.flatMap(({ name }) => [name, `${name}${FILE_SUFFIX}`]));
      const names = context().provided.map((variable) => variable.name);
      expect(names.filter((name) => !known.has(name))).toEqual([]);
      expect(names.filter((name) => names.includes(`${name}${FILE_SUFFIX}`))).toEqual([]);
      expect(new Set(names).size).toBe(names.length);
    });

    it('reads secrets only from files mounted from a Secret', () => {
      const { workload, container, provided } = context();
      const names = new Set(provided.map((variable) => variable.name));
      const secretNames = variables
        .filter((variable) => variable.secret || CREDENTIAL_VARIABLES.has(variable.name))
        .map(({ name }) => name);
      expect(secretNames.filter((name) => names.has(name))).toEqual([]);
      const problems = provided
        .filter((variable) => variable.name.endsWith(FILE_SUFFIX))
        .filter((variable) => !secretFile(workload, container, variable.value ?? ''))
        .map((variable) => `${variable.name}=${String(variable.value)} is not in a mounted Secret`);
      expect(problems).toEqual([]);
    });

    it('loads with the service’s own loader, with ports and peers that exist in the render', () => {
      const { objects, workload, container, provided } = context();
      const env = Object.fromEntries(
        provided.map((variable) => [
          variable.name,
          variable.name.endsWith(FILE_SUFFIX)
            ? materialiseSecretFile(objects, workload, container, variable)
            : variable.value,
        ]),
      );
      const config = loadConfig(SCHEMAS[service], { env, name: service }) as Readonly<
        Record<string, unknown>
      >;

      const ports = DEFAULT_PORTS[service] as { http: number; grpc?: number };
      expect(config.HTTP_PORT).toBe(ports.http);
      expect(resolveContainerPort(workload.pod, 'http')?.port).toBe(ports.http);
      if (ports.grpc !== undefined) {
        expect(config.GRPC_PORT).toBe(ports.grpc);
        expect(resolveContainerPort(workload.pod, 'grpc')?.port).toBe(ports.grpc);
      }

      const peers = Object.entries(config)
        .filter(([name]) => name.endsWith('_SERVICE_ADDRESSES') || name === 'KAFKA_BROKERS')
        .flatMap(([, addresses]) => addresses as string[]);
      if (typeof config.DATABASE_URL === 'string') {
        const url = new URL(config.DATABASE_URL);
        peers.push(`${url.hostname}:${url.port}`);
      }
      // The trace receiver, where an overlay sets one (tracing component): a port-less URL
      // means the scheme's default port, which would be a wrong one here.
      if (typeof config.OTEL_EXPORTER_OTLP_ENDPOINT === 'string') {
        const url = new URL(config.OTEL_EXPORTER_OTLP_ENDPOINT);
        peers.push(`${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`);
      }
      // The rate-limit Redis, where an overlay sets one (rate-limit-redis component).
      if (typeof config.RATE_LIMIT_REDIS_URL === 'string') {
        const url = new URL(config.RATE_LIMIT_REDIS_URL);
        peers.push(`${url.hostname}:${url.port}`);
      }
      const unreachable = peers.filter((address) => !serviceListensOn(objects, address));
      expect(unreachable).toEqual([]);
    });

    it('stops draining and shutting down before Kubernetes kills the pod', () => {
      const { objects, workload, container, provided } = context();
      const env = Object.fromEntries(
        provided
          .filter((variable) => variable.name.startsWith('SHUTDOWN_'))
          .map((variable) => [variable.name, variable.value]),
      );
      const shape = SCHEMAS[service].shape as Record<string, z.ZodType>;
      const drainMs = shape.SHUTDOWN_DRAIN_DELAY!.parse(env.SHUTDOWN_DRAIN_DELAY) as number;
      const timeoutMs = shape.SHUTDOWN_TIMEOUT!.parse(env.SHUTDOWN_TIMEOUT) as number;
      const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      const graceMs = (workload.pod.terminationGracePeriodSeconds ?? 30) * 1000;
      expect(objects.length).toBeGreaterThan(0);
      expect(preStopMs).toBe(drainMs);
      expect(graceMs).toBeGreaterThan(preStopMs + drainMs + timeoutMs);
    });
  });
});

/** The Secret volume and key a file path points into, if it is one. */
function secretFile(
  workload: Workload,
  container: Container,
  path: string,
): { readonly secretName: string; readonly key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount.name);
    if (!volume?.secret) continue;
    const relative = posix.relative(mount.mountPath, path);
    if (relative && !relative.startsWith('..') && !relative.includes('/')) {
      return { secretName: volume.secret.secretName, key: relative };
    }
  }
  return undefined;
}

/** Writes what the pod would find at a NAME_FILE path into a scratch file and returns its path. */
function materialiseSecretFile(
  objects: readonly KubernetesObject[],
  workload: Workload,
  container: Container,
  variable: ProvidedVariable,
): string {
  const location = secretFile(workload, container, variable.value ?? '');
  if (!location) throw new Error(`${variable.name} does not point into a mounted Secret`);
  const secret = find(objects, 'Secret', location.secretName);
  const target = variable.name.slice(0, -FILE_SUFFIX.length);
  const content = secret ? dataOf(secret)[location.key] : EXTERNAL_SECRET_SAMPLES[target];
  if (content === undefined)
    throw new Error(`nothing to put in ${location.secretName}/${location.key}`);
  const path = join(scratch, `${workload.name}-${location.secretName}-${location.key}`);
  writeFileSync(path, content);
  return path;
}

/** Whether `host:port` names a rendered Service (or a StatefulSet pod of one) on that port. */
function serviceListensOn(objects: readonly KubernetesObject[], address: string): boolean {
  const [host = '', port = ''] = address.split(':');
  // `name` is a Service; `pod.name` is a pod of the StatefulSet that Service governs.
  const labels = host.split('.');
  const serviceName = labels.length === 1 ? labels[0] : labels[1];
  const service = serviceName === undefined ? undefined : find(objects, 'Service', serviceName);
  const ports = (service?.spec as { ports?: Array<{ port: number }> } | undefined)?.ports ?? [];
  return ports.some((candidate) => candidate.port === Number(port));
}
