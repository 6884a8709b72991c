import { describe, expect, it } from '@jest/globals';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY } from '@mercato/grpc';
import { CircuitOpenError } from './backends/circuit-breaker.js';
import { toHttpProblem } from './problem.js';

const grpcError = (
  code: status,
  details = 'backend says so',
  metadata = new Metadata(),
): ServiceError => Object.assign(new Error(details), { code, details, metadata });

describe('toHttpProblem', () => {
  it.each([
    [status.INVALID_ARGUMENT, 400],
    [status.NOT_FOUND, 404],
    [status.ALREADY_EXISTS, 409],
    [status.FAILED_PRECONDITION, 409],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.UNAUTHENTICATED, 401],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 503],
    [status.INTERNAL, 500],
    [status.UNKNOWN, 500],
    [status.DATA_LOSS, 500],
  ])('maps gRPC status %s to HTTP %s', (code, httpStatus) => {
    expect(toHttpProblem(grpcError(code)).status).toBe(httpStatus);
  });

  it('passes on field violations with JSON field names', () => {
    const metadata = new Metadata();
    metadata.set(
      FIELD_VIOLATIONS_KEY,
      JSON.stringify([{ field: 'lines[0].product_id', description: 'must not be empty' }]),
    );
    expect(
      toHttpProblem(grpcError(status.INVALID_ARGUMENT, 'bad', metadata)).options.errors,
    ).toEqual([{ field: 'lines[0].productId', message: 'must not be empty' }]);
  });

  it('never passes on the message of an internal error', () => {
    const problem = toHttpProblem(new Error('connection string postgres://secret@db'));
    expect(problem).toMatchObject({ status: 500, detail: 'internal error' });
    expect(toHttpProblem(grpcError(status.INTERNAL, 'stack trace here')).detail).toBe(
      'internal error',
    );
  });

  it('asks clients to retry after 503s and 429s', () => {
    expect(toHttpProblem(grpcError(status.UNAVAILABLE)).options.headers).toEqual({
      'Retry-After': '1',
    });
    expect(toHttpProblem(new CircuitOpenError('order', 2_500)).options.headers).toEqual({
      'Retry-After': '3',
    });
  });
});
