import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseServiceSchema } from './base-schema.js';
import { describeVariables } from './describe-variables.js';
import { csvList, port, secret, url } from './fields.js';

describe('describeVariables', () => {
  it('lists each variable with whether a deployment must provide it', () => {
    const schema = z.object({
      GRPC_PORT: port().describe('Port of the gRPC server'),
      KAFKA_BROKERS: csvList(),
      DATABASE_URL: url().optional().describe('PostgreSQL; PGlite when unset'),
      DATABASE_PASSWORD: secret().optional(),
      PAYMENT_API_KEY: secret().describe('Key of the payment provider'),
      REGION: z.string().prefault('eu'),
    });

    expect(describeVariables(schema)).toEqual([
      {
        name: 'GRPC_PORT',
        required: true,
        hasDefault: false,
        secret: false,
        description: 'Port of the gRPC server',
      },
      { name: 'KAFKA_BROKERS', required: true, hasDefault: false, secret: false },
      {
        name: 'DATABASE_URL',
        required: false,
        hasDefault: false,
        secret: false,
        description: 'PostgreSQL; PGlite when unset',
      },
      { name: 'DATABASE_PASSWORD', required: false, hasDefault: false, secret: true },
      {
        name: 'PAYMENT_API_KEY',
        required: true,
        hasDefault: false,
        secret: true,
        description: 'Key of the payment provider',
      },
      { name: 'REGION', required: false, hasDefault: true, secret: false },
    ]);
  });

  it('shows that the base service schema needs nothing set', () => {
    const variables = describeVariables(baseServiceSchema);

    expect(
      variables.map(({ name, required, hasDefault }) => ({ name, required, hasDefault })),
    ).toEqual([
      { name: 'NODE_ENV', required: false, hasDefault: true },
      { name: 'LOG_LEVEL', required: false, hasDefault: true },
      { name: 'LOG_PRETTY', required: false, hasDefault: true },
      { name: 'SERVICE_NAME', required: false, hasDefault: false },
      { name: 'HTTP_PORT', required: false, hasDefault: true },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', required: false, hasDefault: false },
      { name: 'OTEL_TRACES_SAMPLER_ARG', required: false, hasDefault: true },
      { name: 'SHUTDOWN_DRAIN_DELAY', required: false, hasDefault: true },
      { name: 'SHUTDOWN_TIMEOUT', required: false, hasDefault: true },
    ]);
    expect(variables.every((variable) => variable.description !== undefined)).toBe(true);
  });
});
