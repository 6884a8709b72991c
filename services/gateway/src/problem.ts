import { status } from '@grpc/grpc-js';
import { fieldViolationsOf, isServiceError } from '@mercato/grpc';
import type { Response } from 'express';
import { z } from 'zod';
import { CircuitOpenError } from './backends/circuit-breaker.js';

/** Media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the problem `type` URIs; each kind of problem has its own stable URI below it. */
export const PROBLEM_TYPE_BASE = 'https://mercato.dev/problems/';

/** The kinds of problem the API answers with, and their HTTP status and title. */
export const PROBLEM_KINDS = {
  'validation-error': { status: 400, title: 'Your request is not valid' },
  'malformed-request': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be application/json' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  'service-unavailable': { status: 503, title: 'A service behind the API is unavailable' },
} as const;

/** One of {@link PROBLEM_KINDS}. */
export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** The schema of a problem document, as published in the OpenAPI document. */
export const problemSchema = z.object({
  type: z.string().describe('URI identifying the kind of problem; stable, safe to branch on'),
  title: z.string().describe('Short summary of the kind of problem'),
  status: z.number().int().describe('The HTTP status code'),
  detail: z.string().describe('What went wrong with this request'),
  instance: z.string().optional().describe('The request path'),
  requestId: z.string().optional().describe('x-request-id of the request, for support'),
  traceId: z
    .string()
    .optional()
    .describe('W3C trace id of the request: find its trace in the trace backend (Jaeger)'),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .describe('The invalid fields of a validation error'),
});

/** A problem document. */
export type Problem = z.output<typeof problemSchema>;

/** One invalid field. */
export interface FieldError {
  field: string;
  message: string;
}

/** An error that is answered with a problem document. */
export class HttpProblem extends Error {
  readonly status: number;
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = PROBLEM_KINDS[kind].status;
  }
}

/** Seconds a client should wait after a 503 caused by an unreachable backend. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

const GRPC_TO_PROBLEM: Partial<Record<status, ProblemKind>> = {
  [status.INVALID_ARGUMENT]: 'validation-error',
  [status.OUT_OF_RANGE]: 'validation-error',
  [status.NOT_FOUND]: 'not-found',
  [status.ALREADY_EXISTS]: 'conflict',
  [status.FAILED_PRECONDITION]: 'conflict',
  [status.ABORTED]: 'conflict',
  [status.UNAUTHENTICATED]: 'unauthenticated',
  [status.RESOURCE_EXHAUSTED]: 'rate-limited',
  [status.UNAVAILABLE]: 'service-unavailable',
  [status.DEADLINE_EXCEEDED]: 'service-unavailable',
};

// Proto field paths (`lines[0].product_id`) become the JSON names clients sent (`lines[0].productId`).
const jsonFieldName = (protoPath: string) =>
  protoPath.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/**
 * Turns anything a handler threw into an HttpProblem. Backend statuses map to HTTP statuses;
 * their messages are passed on only for statuses whose messages are written for callers
 * (validation, not found, conflicts). Everything unexpected becomes a bare 500.
 */
export function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof CircuitOpenError) {
    return new HttpProblem('service-unavailable', `The ${error.backend} service is unavailable`, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) },
    });
  }
  if (isServiceError(error)) {
    const kind = GRPC_TO_PROBLEM[error.code] ?? 'internal';
    switch (kind) {
      case 'validation-error': {
        const errors = fieldViolationsOf(error).map((violation) => ({
          field: jsonFieldName(violation.field),
          message: violation.description,
        }));
        return new HttpProblem(kind, error.details || 'invalid request', { errors });
      }
      case 'not-found':
      case 'conflict':
        return new HttpProblem(kind, error.details || PROBLEM_KINDS[kind].title);
      case 'service-unavailable':
      case 'rate-limited':
        return new HttpProblem(kind, PROBLEM_KINDS[kind].title, {
          headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
        });
      case 'unauthenticated':
        return new HttpProblem(kind, PROBLEM_KINDS[kind].title);
      default:
        return new HttpProblem('internal', 'internal error');
    }
  }
  return new HttpProblem('internal', 'internal error');
}

/** Writes a problem document. */
export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${problem.kind}`,
    title: PROBLEM_KINDS[problem.kind].title,
    status: problem.status,
    detail: problem.detail,
    ...(instance ? { instance } : {}),
    ...(typeof res.locals.requestId === 'string' ? { requestId: res.locals.requestId } : {}),
    ...(typeof res.locals.traceId === 'string' ? { traceId: res.locals.traceId } : {}),
    ...(problem.options.errors ? { errors: problem.options.errors } : {}),
  };
  res
    .status(problem.status)
    .set(problem.options.headers ?? {})
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(body));
}

/**
 * Field errors of a failed zod validation, named by JSON path (`lines[0].quantity`), query
 * parameter or header name; `whole` names the value itself (e.g. `body`) when the path is empty.
 */
export function fieldErrorsOf(error: z.ZodError, whole = 'body'): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((segment, index) =>
        typeof segment === 'number'
          ? `[${segment}]`
          : `${index === 0 ? '' : '.'}${String(segment)}`,
      )
      .join('');
    return { field: path || whole, message: issue.message };
  });
}
