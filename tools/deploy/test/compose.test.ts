import { describe, expect, it } from '@jest/globals';
import { describeVariables, type LoadConfigOptions, type z } from '@mercato/config';
import { DEFAULT_PORTS } from '@mercato/contracts';
import { gatewayConfigSchema, loadGatewayConfig } from '@mercato/gateway-service';
import {
  COMPOSE_KAFKA_HOST_LISTENER_PORT,
  COMPOSE_KAFKA_SERVICE,
  KAFKA_VERSION,
} from '@mercato/harness';
import { loadOrderConfig, orderConfigSchema } from '@mercato/order-service';
import { loadPaymentConfig, paymentConfigSchema } from '@mercato/payment-service';
import { loadProductConfig, productConfigSchema } from '@mercato/product-service';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { validateComposeFile } from './support/compose-schema.js';
import { readCompose, readDotEnv, type ComposeService } from './support/compose.js';
import { SERVICES, repositoryPath, type ServiceName } from './support/repository.js';

const CONFIG: Record<
  ServiceName,
  { schema: z.ZodObject; load: (options: LoadConfigOptions) => unknown }
> = {
  gateway: { schema: gatewayConfigSchema, load: loadGatewayConfig },
  product: { schema: productConfigSchema, load: loadProductConfig },
  order: { schema: orderConfigSchema, load: loadOrderConfig },
  payment: { schema: paymentConfigSchema, load: loadPaymentConfig },
};

// What a service runs without (it fails open): started before it, so that its first requests
// find it, but never waited for, so that it cannot keep the service from starting.
const FAIL_OPEN_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  gateway: ['redis'],
};

const compose = readCompose();
const serviceOf = (name: string): ComposeService => {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
  return service;
};

/** A service's environment as the container sees it, `*_FILE` secrets pointing at the host file. */
function containerEnvironment(name: ServiceName): Record<string, string> {
  const service = serviceOf(name);
  const secretFiles = new Map<string, string>(
    (service.secrets ?? []).map((secret) => {
      const file = compose.secrets?.[secret]?.file;
      if (!file) throw new Error(`secret "${secret}" has no file`);
      return [`/run/secrets/${secret}`, repositoryPath(file)];
    }),
  );
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([variable, value]) => {
      const text = String(value ?? '');
      return [variable, variable.endsWith('_FILE') ? (secretFiles.get(text) ?? text) : text];
    }),
  );
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file once .env is interpolated', () => {
    expect(validateComposeFile(compose)).toEqual([]);
  });

  it.each(SERVICES)(
    'builds %s from the repository root with services/<name>/Dockerfile',
    (name) => {
      const { build } = serviceOf(name);
      expect(build).toEqual({ context: '.', dockerfile: `services/${name}/Dockerfile` });
      expect(existsSync(repositoryPath(build!.dockerfile))).toBe(true);
    },
  );

  it('waits only for services that have a healthcheck, until they are healthy, but for fail-open ones', () => {
    const waits = Object.entries(compose.services).flatMap(([name, service]) =>
      Object.entries(service.depends_on ?? {}).map(([target, { condition }]) => ({
        name,
        target,
        condition,
        targetHasHealthcheck: compose.services[target]?.healthcheck !== undefined,
      })),
    );
    expect(waits.length).toBeGreaterThan(0);
    for (const wait of waits) {
      const failsOpen = FAIL_OPEN_DEPENDENCIES[wait.name]?.includes(wait.target) ?? false;
      expect(wait).toEqual({
        ...wait,
        condition: failsOpen ? 'service_started' : 'service_healthy',
        targetHasHealthcheck: true,
      });
    }
  });

  it.each(SERVICES)('probes %s on /health/ready', (name) => {
    expect(serviceOf(name).healthcheck?.test.join(' ')).toContain('/health/ready');
  });

  describe.each(SERVICES)('gives %s a configuration its own schema accepts', (name) => {
    const { schema, load } = CONFIG[name];
    const variables = describeVariables(schema);
    const environment = containerEnvironment(name);

    it('sets every required variable (or its _FILE twin)', () => {
      const missing = variables
        .filter((variable) => variable.required)
        .map((variable) => variable.name)
        .filter((variable) => !(variable in environment) && !(`${variable}_FILE` in environment));
      expect(missing).toEqual([]);
    });

    it('sets no variable the schema does not know', () => {
      const known = new Set(
        variables.flatMap((variable) => [variable.name, `${variable.name}_FILE`]),
      );
      expect(Object.keys(environment).filter((variable) => !known.has(variable))).toEqual([]);
    });

    it('passes start-up validation with those values', () => {
      expect(() => load({ env: environment, name })).not.toThrow();
    });

    it('supplies secrets from files, never as plain values', () => {
      const plainSecrets = variables
        .filter((variable) => variable.secret && variable.name in environment)
        .map((variable) => variable.name);
      expect(plainSecrets).toEqual([]);
    });
  });
});

describe('.env', () => {
  const env = readDotEnv();

  it('holds the ports of @mercato/contracts DEFAULT_PORTS', () => {
    const expected = Object.entries(DEFAULT_PORTS).flatMap(([service, ports]) =>
      Object.entries(ports).map(
        ([kind, port]) => [`${service}_${kind}_PORT`.toUpperCase(), String(port)] as const,
      ),
    );
    expect(expected).toHaveLength(7);
    for (const [variable, port] of expected)
      expect([variable, env[variable]]).toEqual([variable, port]);
  });

  it('points each service at its own database, which the PostgreSQL init script creates', () => {
    const created = String(serviceOf('postgres').environment?.SERVICE_DATABASES ?? '').split(/\s+/);
    const databases = (['product', 'order', 'payment'] as const).map((name) => {
      const url = new URL(String(serviceOf(name).environment?.DATABASE_URL));
      return { database: posix.basename(url.pathname), user: url.username };
    });
    expect(new Set(databases.map(({ database }) => database)).size).toBe(databases.length);
    for (const { database, user } of databases) {
      expect(created).toContain(database);
      expect(user).toBe(database);
    }
  });
});

describe('the kafka service', () => {
  const kafka = serviceOf(COMPOSE_KAFKA_SERVICE);
  const environment = kafka.environment ?? {};
  const listeners = (variable: string) =>
    new Map(
      String(environment[variable])
        .split(',')
        .map((listener) => {
          const [, name, host, port] = /^(\w+):\/\/([^:]*):(\d+)$/.exec(listener) ?? [];
          return [name, { host, port: Number(port) }] as const;
        }),
    );

  it('runs the Kafka version the harness runs', () => {
    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
  });

  it('publishes the host listener where tools/harness looks and advertises the published port', () => {
    const hostListener = [...listeners('KAFKA_LISTENERS')].find(
      ([, { port }]) => port === COMPOSE_KAFKA_HOST_LISTENER_PORT,
    );
    expect(hostListener).toBeDefined();
    const published = (kafka.ports ?? [])
      .map((mapping) => mapping.split(':').map(Number))
      .find(([, container]) => container === COMPOSE_KAFKA_HOST_LISTENER_PORT);
    expect(published).toBeDefined();
    expect(listeners('KAFKA_ADVERTISED_LISTENERS').get(hostListener![0])).toEqual({
      host: 'localhost',
      port: published![0],
    });
  });

  it('gives the services a listener advertised under the compose service name', () => {
    const brokers = String(serviceOf('order').environment?.KAFKA_BROKERS);
    const advertised = [...listeners('KAFKA_ADVERTISED_LISTENERS').values()].map(
      ({ host, port }) => `${host}:${port}`,
    );
    expect(advertised).toContain(brokers);
    expect(brokers.startsWith(`${COMPOSE_KAFKA_SERVICE}:`)).toBe(true);
  });
});
