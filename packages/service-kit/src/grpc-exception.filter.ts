import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { status, type StatusObject } from '@grpc/grpc-js';
import { GrpcError, isServiceError } from '@mercato/grpc';
import type { Logger } from '@mercato/logger';
import { throwError, type Observable } from 'rxjs';

/**
 * Turns whatever a gRPC handler throws into a proper status. GrpcError keeps its code and field
 * details; a failed downstream call that is transient stays UNAVAILABLE (the caller may retry);
 * anything else is INTERNAL with a generic message — the stack goes to the log, never the client.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<Partial<StatusObject>> {
    return throwError(() => this.toStatus(exception));
  }

  private toStatus(exception: unknown): Partial<StatusObject> {
    if (exception instanceof GrpcError) return exception.toStatus();
    if (isServiceError(exception)) {
      const transient =
        exception.code === status.UNAVAILABLE || exception.code === status.DEADLINE_EXCEEDED;
      this.logger.warn({ err: exception }, 'downstream gRPC call failed');
      return transient
        ? { code: status.UNAVAILABLE, details: `a dependency is unavailable: ${exception.details}` }
        : { code: status.INTERNAL, details: 'internal error' };
    }
    this.logger.error({ err: exception }, 'unhandled error in gRPC handler');
    return { code: status.INTERNAL, details: 'internal error' };
  }
}
