import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, problemSchema } from '../problem.js';
import { API_PREFIX, type RouteDefinition } from './route-registry.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const isOptional = (schema: z.ZodType) => schema.safeParse(undefined).success;

function parameters(location: 'path' | 'query' | 'header', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const fieldSchema = jsonSchema(field, 'input');
    return {
      name,
      in: location,
      required: location === 'path' || !isOptional(field),
      ...(typeof fieldSchema.description === 'string'
        ? { description: fieldSchema.description }
        : {}),
      schema: fieldSchema,
    };
  });
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 0 },
  },
};

const problemResponse = (status: number) => {
  const kind = Object.values(PROBLEM_KINDS).find((candidate) => candidate.status === status);
  return {
    description: kind?.title ?? 'Error',
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
};

// Every operation can answer these, whatever it does.
const COMMON_ERRORS = [400, 429, 500, 503];

function operation(route: RouteDefinition) {
  const errors = [...new Set([...COMMON_ERRORS, ...route.errors, ...(route.auth ? [401] : [])])];
  if (route.body) errors.push(413, 415);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    security: route.auth ? [{ bearerAuth: [] }] : [],
    parameters: [
      ...parameters('path', route.params),
      ...parameters('query', route.query),
      ...parameters('header', route.headers),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [String(route.response.status)]: {
        description: route.response.description,
        ...(route.response.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(route.response.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        content: { 'application/json': { schema: jsonSchema(route.response.schema, 'output') } },
      },
      ...Object.fromEntries(
        [...new Set(errors)].sort().map((status) => [String(status), problemResponse(status)]),
      ),
      default: problemResponse(0),
    },
  };
}

/** Builds the OpenAPI 3.1 document of the API from the route registry. */
export function buildOpenApiDocument(
  routes: readonly RouteDefinition[],
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${API_PREFIX}${route.path}`;
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Mercato API',
      version: info.version,
      description:
        'The public REST API of the Mercato shop. Errors are application/problem+json (RFC 9457); ' +
        'money is integer minor units plus an ISO 4217 currency.',
    },
    tags: [
      { name: 'auth', description: 'Access tokens for demo customers and guests' },
      { name: 'catalog', description: 'Products and categories' },
      { name: 'orders', description: 'Checkout, order status and cancellation' },
    ],
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
