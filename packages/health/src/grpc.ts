import {
  status as GrpcStatus,
  type sendUnaryData,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { type Health } from './health.js';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` as the proto loader renders it. */
export type GrpcServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service: string;
}

interface HealthCheckResponse {
  status: GrpcServingStatus;
}

interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

/** The name the gRPC health protocol reserves for the server as a whole. */
export const OVERALL_SERVICE = '';

/**
 * Adds `grpc.health.v1.Health` (Check, Watch, List) to a grpc-js server, answering from the same
 * readiness as the HTTP probes: SERVING only while ready and every critical check passes,
 * NOT_SERVING while starting, failing or draining. `serviceNames` are the fully-qualified services
 * the server hosts; each shares the process's readiness, and any other name answers NOT_FOUND.
 */
export function addGrpcHealthService(
  server: Server,
  health: Health,
  serviceNames: readonly string[] = [],
): void {
  const known = new Set([OVERALL_SERVICE, ...serviceNames]);

  const currentStatus = async (): Promise<GrpcServingStatus> =>
    (await health.checkReadiness()).status === 'ready' ? 'SERVING' : 'NOT_SERVING';

  const implementation: UntypedServiceImplementation = {
    Check: (
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) => {
      const name = call.request.service;
      if (!known.has(name)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `Unknown service "${name}"` });
        return;
      }
      currentStatus().then(
        (status) => callback(null, { status }),
        (error: unknown) => callback({ code: GrpcStatus.INTERNAL, details: String(error) }),
      );
    },

    Watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
      watch(call, health, known.has(call.request.service), currentStatus);
    },

    List: (
      _call: ServerUnaryCall<unknown, HealthListResponse>,
      callback: sendUnaryData<HealthListResponse>,
    ) => {
      currentStatus().then(
        (status) =>
          callback(null, {
            statuses: Object.fromEntries([...known].map((name) => [name, { status }])),
          }),
        (error: unknown) => callback({ code: GrpcStatus.INTERNAL, details: String(error) }),
      );
    },
  };

  server.addService(healthServiceDefinition, implementation);
}

/**
 * Streams the status now and on every change. Once the process drains, the stream gets
 * NOT_SERVING and is then ended: an open Watch would otherwise keep `server.tryShutdown()`
 * waiting until the hard deadline.
 */
function watch(
  call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>,
  health: Health,
  isKnown: boolean,
  currentStatus: () => Promise<GrpcServingStatus>,
): void {
  let lastSent: GrpcServingStatus | undefined;
  let finished = false;

  const send = (status: GrpcServingStatus): void => {
    if (finished || status === lastSent) return;
    lastSent = status;
    call.write({ status });
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    unsubscribe();
    call.end();
  };
  const evaluate = (): void => {
    currentStatus().then(send, () => send('NOT_SERVING'));
  };

  let previousState = health.state;
  const unsubscribe = health.onChange(({ state, ready }) => {
    const justStarted = previousState === 'starting' && state === 'ready';
    previousState = state;
    if (state === 'draining') {
      if (isKnown) send('NOT_SERVING');
      finish();
    } else if (justStarted && isKnown) {
      // markStarted() runs no checks; evaluate now so watchers learn about SERVING without waiting for a probe.
      evaluate();
    } else if (isKnown) {
      send(ready ? 'SERVING' : 'NOT_SERVING');
    }
  });
  call.on('cancelled', () => {
    finished = true;
    unsubscribe();
  });

  if (health.state === 'draining') {
    send(isKnown ? 'NOT_SERVING' : 'SERVICE_UNKNOWN');
    finish();
  } else if (isKnown) {
    evaluate();
  } else {
    // The protocol keeps a Watch on an unknown service open, in case the service appears later.
    send('SERVICE_UNKNOWN');
  }
}
