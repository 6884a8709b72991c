import { describe, expect, it } from '@jest/globals';
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY, GrpcError, invalidArgument, notFound } from '@mercato/grpc';
import { createLogger } from '@mercato/logger';
import { MemoryDestination } from '@mercato/logger/testing';
import { firstValueFrom } from 'rxjs';
import { GrpcExceptionFilter } from './grpc-exception.filter.js';

/** The status the filter sends for `exception`, and what it logged. */
async function mapped(exception: unknown) {
  const logs = new MemoryDestination();
  const filter = new GrpcExceptionFilter(
    createLogger({ service: 'filter-spec', destination: logs }),
  );
  const sent = await firstValueFrom(filter.catch(exception)).then(
    () => {
      throw new Error('the filter must answer with an error');
    },
    (error: Partial<StatusObject>) => error,
  );
  return { sent, logs: logs.records() };
}

/** An error as a failed grpc-js client call produces it. */
function downstreamError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe('GrpcExceptionFilter', () => {
  it('sends a GrpcError as it is: code, message and field violations, and logs nothing', async () => {
    const { sent, logs } = await mapped(
      invalidArgument([{ field: 'id', description: 'must not be empty' }]),
    );
    expect(sent).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'invalid argument: id: must not be empty',
    });
    expect(sent.metadata?.get(FIELD_VIOLATIONS_KEY)).toEqual([
      JSON.stringify([{ field: 'id', description: 'must not be empty' }]),
    ]);
    expect(logs).toEqual([]);

    expect((await mapped(notFound('product x does not exist'))).sent).toMatchObject({
      code: status.NOT_FOUND,
      details: 'product x does not exist',
    });
    expect((await mapped(new GrpcError(status.ABORTED, 'try again'))).sent.code).toBe(
      status.ABORTED,
    );
  });

  it.each([status.UNAVAILABLE, status.DEADLINE_EXCEEDED])(
    'turns a downstream %s into UNAVAILABLE, so the caller may retry',
    async (code) => {
      const { sent, logs } = await mapped(downstreamError(code, 'connection refused'));
      expect(sent).toEqual({
        code: status.UNAVAILABLE,
        details: 'a dependency is unavailable: connection refused',
      });
      expect(logs).toEqual([
        expect.objectContaining({ level: 'warn', msg: 'downstream gRPC call failed' }),
      ]);
    },
  );

  it.each([status.NOT_FOUND, status.INVALID_ARGUMENT, status.PERMISSION_DENIED])(
    'hides a downstream %s behind INTERNAL: it is this service’s bug, not the caller’s',
    async (code) => {
      const { sent } = await mapped(downstreamError(code, 'order ord_1 of tenant acme not found'));
      expect(sent).toEqual({ code: status.INTERNAL, details: 'internal error' });
    },
  );

  it.each([
    ['an Error', new TypeError("Cannot read properties of undefined (reading 'price')")],
    ['a thrown string', 'SELECT * FROM secrets failed'],
    ['an object with a code but no metadata', Object.assign(new Error('ECONNRESET'), { code: 14 })],
  ])(
    'answers %s with INTERNAL "internal error" and logs it with its stack',
    async (_kind, exception) => {
      const { sent, logs } = await mapped(exception);
      expect(sent).toEqual({ code: status.INTERNAL, details: 'internal error' });
      expect(logs).toEqual([
        expect.objectContaining({ level: 'error', msg: 'unhandled error in gRPC handler' }),
      ]);
    },
  );
});
