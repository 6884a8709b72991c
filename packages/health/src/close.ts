import { type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { type Server as GrpcServer } from '@grpc/grpc-js';

/** How a server ended: every in-flight request finished, or the deadline cut the rest off. */
export type CloseOutcome = 'graceful' | 'forced';

/** Options of the server close helpers. */
export interface CloseServerOptions {
  /** Cut remaining connections or calls after this many milliseconds. Default: wait for them. */
  forceAfterMs?: number;
}

// Node offers no event for "a busy keep-alive connection became idle", so idle ones are swept
// periodically until the last in-flight response has been sent.
const IDLE_SWEEP_INTERVAL_MS = 50;

/**
 * Closes an HTTP (or HTTPS) server gracefully: stops accepting connections, lets in-flight
 * requests finish, and closes keep-alive connections as soon as they are idle, so clients
 * reconnect elsewhere instead of sending new requests to a server that is going away.
 */
export function closeHttpServer(
  server: HttpServer,
  options: CloseServerOptions = {},
): Promise<CloseOutcome> {
  if (!server.listening) return Promise.resolve('graceful');
  return new Promise((resolve, reject) => {
    let outcome: CloseOutcome = 'graceful';
    const markConnectionClose = (_req: IncomingMessage, res: ServerResponse): void => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    };
    server.prependListener('request', markConnectionClose);
    const idleSweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
    const forceTimer =
      options.forceAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            outcome = 'forced';
            server.closeAllConnections();
          }, options.forceAfterMs);

    server.close((error) => {
      clearInterval(idleSweep);
      clearTimeout(forceTimer);
      server.off('request', markConnectionClose);
      if (error) reject(error);
      else resolve(outcome);
    });
    server.closeIdleConnections();
  });
}

/**
 * Closes a grpc-js server gracefully: `tryShutdown` stops accepting calls and waits for the
 * in-flight ones; at `forceAfterMs` the remaining calls are cancelled with `forceShutdown`.
 */
export function closeGrpcServer(
  server: GrpcServer,
  options: CloseServerOptions = {},
): Promise<CloseOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: CloseOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(forceTimer);
      resolve(outcome);
    };
    const forceTimer =
      options.forceAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            server.forceShutdown();
            settle('forced');
          }, options.forceAfterMs);
    server.tryShutdown(() => settle('graceful'));
  });
}
