import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseServiceSchema } from './base-schema.js';
import { ConfigError } from './config-error.js';
import { csvList, port, secret, url } from './fields.js';
import { loadConfig } from './load-config.js';

const orderSchema = baseServiceSchema.extend({
  GRPC_PORT: port(),
  KAFKA_BROKERS: csvList(),
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  PAYMENT_API_KEY: secret(),
});

const validEnv = {
  GRPC_PORT: '50051',
  KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
  PAYMENT_API_KEY: 'pk_live_abcdef',
};

const secretsDirectory = mkdtempSync(join(tmpdir(), 'mercato-config-'));
afterAll(() => rmSync(secretsDirectory, { recursive: true, force: true }));

function writeSecretFile(name: string, contents: string): string {
  const path = join(secretsDirectory, name);
  writeFileSync(path, contents);
  return path;
}

function configErrorFrom(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('returns typed values with the defaults of the base schema applied', () => {
    const config = loadConfig(orderSchema, { env: validEnv });

    expect(config).toEqual({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_PRETTY: false,
      HTTP_PORT: 8080,
      OTEL_TRACES_SAMPLER_ARG: 1,
      SHUTDOWN_DRAIN_DELAY: 5_000,
      SHUTDOWN_TIMEOUT: 20_000,
      GRPC_PORT: 50051,
      KAFKA_BROKERS: ['kafka-0:9092', 'kafka-1:9092'],
      PAYMENT_API_KEY: 'pk_live_abcdef',
    });
  });

  it('prefers set variables over defaults and ignores variables outside the schema', () => {
    const config = loadConfig(orderSchema, {
      env: { ...validEnv, HTTP_PORT: '9000', SHUTDOWN_TIMEOUT: '1m', UNRELATED: 'x' },
    });

    expect(config.HTTP_PORT).toBe(9000);
    expect(config.SHUTDOWN_TIMEOUT).toBe(60_000);
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(orderSchema, {
      env: { ...validEnv, HTTP_PORT: '', DATABASE_URL: '' },
    });

    expect(config.HTTP_PORT).toBe(8080);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig(orderSchema, { env: validEnv });

    expect(() => {
      (config as { HTTP_PORT: number }).HTTP_PORT = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.KAFKA_BROKERS as string[]).push('kafka-2:9092');
    }).toThrow(TypeError);
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toHaveLength(2);
  });

  it('reports every bad variable in one error', () => {
    const error = configErrorFrom(() =>
      loadConfig(orderSchema, {
        env: { ...validEnv, GRPC_PORT: 'abc', KAFKA_BROKERS: undefined },
        name: 'order',
      }),
    );

    expect(error.issues).toEqual([
      { variable: 'GRPC_PORT', message: "expected integer 1–65535, got 'abc'" },
      { variable: 'KAFKA_BROKERS', message: 'required but not set' },
    ]);
    expect(error.message).toBe(
      [
        'Invalid configuration for order (2 problems):',
        "  - GRPC_PORT: expected integer 1–65535, got 'abc'",
        '  - KAFKA_BROKERS: required but not set',
      ].join('\n'),
    );
    expect(error.name).toBe('ConfigError');
  });

  it('lists the problems in schema order whatever the order of discovery', () => {
    const error = configErrorFrom(() =>
      loadConfig(orderSchema, {
        env: { ...validEnv, LOG_LEVEL: 'loud', HTTP_PORT: '0', GRPC_PORT: 'x' },
      }),
    );

    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'LOG_LEVEL',
      'HTTP_PORT',
      'GRPC_PORT',
    ]);
  });

  it('never prints secret values', () => {
    const schema = z.object({
      PAYMENT_API_KEY: secret().refine((key) => key.startsWith('pk_'), {
        message: 'expected a pk_ key',
      }),
      SESSION_TOKEN: z.string().regex(/^tok_/),
      DATABASE_URL: url({ protocols: ['postgres'] }),
    });
    const error = configErrorFrom(() =>
      loadConfig(schema, {
        env: {
          PAYMENT_API_KEY: 'sk_hunter2',
          SESSION_TOKEN: 'hunter3',
          DATABASE_URL: 'mysql://shop:hunter4@db/orders',
        },
      }),
    );

    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'PAYMENT_API_KEY',
      'SESSION_TOKEN',
      'DATABASE_URL',
    ]);
    expect(error.message).not.toMatch(/hunter/);
    expect(error.message).toContain("got 'mysql://shop:***@db/orders'");
  });

  it('reads NAME_FILE from a file and trims the trailing newline', () => {
    const path = writeSecretFile('payment-api-key', 'pk_from_file\n');

    const config = loadConfig(orderSchema, {
      env: { ...validEnv, PAYMENT_API_KEY: undefined, PAYMENT_API_KEY_FILE: path },
    });

    expect(config.PAYMENT_API_KEY).toBe('pk_from_file');
  });

  it('validates file values without echoing them', () => {
    const path = writeSecretFile('grpc-port', 'not-a-port\n');

    const error = configErrorFrom(() =>
      loadConfig(orderSchema, { env: { ...validEnv, GRPC_PORT: undefined, GRPC_PORT_FILE: path } }),
    );

    expect(error.issues).toEqual([{ variable: 'GRPC_PORT', message: 'expected integer 1–65535' }]);
  });

  it('rejects a variable set both directly and through NAME_FILE', () => {
    const path = writeSecretFile('payment-api-key-twice', 'pk_from_file');

    const error = configErrorFrom(() =>
      loadConfig(orderSchema, { env: { ...validEnv, PAYMENT_API_KEY_FILE: path } }),
    );

    expect(error.issues).toEqual([
      {
        variable: 'PAYMENT_API_KEY',
        message: 'both PAYMENT_API_KEY and PAYMENT_API_KEY_FILE are set; set only one',
      },
    ]);
  });

  it('names the variable and the path of an unreadable NAME_FILE', () => {
    const missingPath = join(secretsDirectory, 'does-not-exist');

    const error = configErrorFrom(() =>
      loadConfig(orderSchema, {
        env: {
          ...validEnv,
          PAYMENT_API_KEY: undefined,
          PAYMENT_API_KEY_FILE: missingPath,
          GRPC_PORT: 'abc',
        },
      }),
    );

    expect(error.issues).toEqual([
      { variable: 'GRPC_PORT', message: "expected integer 1–65535, got 'abc'" },
      {
        variable: 'PAYMENT_API_KEY',
        message: `cannot read PAYMENT_API_KEY_FILE '${missingPath}' (ENOENT)`,
      },
    ]);
  });

  it('reads process.env when no env is given', () => {
    const schema = z.object({ MERCATO_CONFIG_SPEC_UNSET: z.string().default('fallback') });

    expect(loadConfig(schema).MERCATO_CONFIG_SPEC_UNSET).toBe('fallback');
  });
});
