import type { Server as GrpcServer } from '@grpc/grpc-js';

interface SocketLike {
  setNoDelay(noDelay?: boolean): unknown;
}
interface ListenerLike {
  on(event: 'connection', listener: (socket: SocketLike) => void): unknown;
}

/**
 * Turns Nagle's algorithm off on every connection a grpc-js server accepts from now on.
 *
 * grpc-js disables it on the sockets its clients open, but not on the ones its server accepts, and
 * offers no option to. A unary response then goes out as HEADERS+DATA and, moments later, the
 * trailers: with Nagle on, that second small write waits for the client's ACK of the first, and the
 * client delays its ACK by up to 40 ms — the hop's p99 was 36–41 ms against a p50 of ~1 ms
 * (`pnpm bench`, part i). The server's HTTP/2 listeners are not public API, so this reaches them
 * through the field grpc-js keeps them in, and throws at start-up if that field is gone (a grpc-js
 * upgrade then fails loudly in every service suite instead of quietly bringing the stall back).
 * Call it once the server is bound (NestJS's `onLoadPackageDefinition`).
 */
export function disableNagleOnAccept(server: GrpcServer): void {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listeners instanceof Map) || listeners.size === 0)
    throw new Error(
      'disableNagleOnAccept: this grpc-js keeps no bound http2Servers map; check the grpc-js upgrade',
    );
  for (const listener of listeners.keys() as IterableIterator<ListenerLike>) {
    listener.on('connection', (socket) => socket.setNoDelay(true));
  }
}
