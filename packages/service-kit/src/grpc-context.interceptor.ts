import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { type Metadata } from '@grpc/grpc-js';
import { runWithLogContext } from '@mercato/logger';
import { Observable } from 'rxjs';
import { correlationFromMetadata } from './correlation.js';

export {
  CORRELATION_METADATA,
  correlationClientInterceptor,
  correlationFromMetadata,
} from './correlation.js';

/**
 * Runs every gRPC handler inside a log context built from the call's metadata, so each log line
 * the handler writes — and each outgoing call it makes — carries the caller's request and trace id.
 */
@Injectable()
export class GrpcContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const correlation = correlationFromMetadata(metadata);
    return new Observable((subscriber) =>
      runWithLogContext(correlation, () => next.handle().subscribe(subscriber)),
    );
  }
}
