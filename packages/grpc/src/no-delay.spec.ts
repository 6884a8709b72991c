import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { disableNagleOnAccept } from './no-delay.js';

class FakeSocket {
  noDelay: boolean | undefined;
  setNoDelay(noDelay?: boolean) {
    this.noDelay = noDelay;
  }
}

describe('disableNagleOnAccept', () => {
  it('sets TCP_NODELAY on every connection each bound listener accepts', () => {
    const listeners = [new EventEmitter(), new EventEmitter()];
    const server = { http2Servers: new Map(listeners.map((listener) => [listener, {}])) };
    disableNagleOnAccept(server as unknown as GrpcServer);
    const sockets = listeners.map((listener) => {
      const socket = new FakeSocket();
      listener.emit('connection', socket);
      return socket;
    });
    expect(sockets.map((socket) => socket.noDelay)).toEqual([true, true]);
  });

  it('fails loudly when the grpc-js server keeps its listeners elsewhere', () => {
    expect(() => disableNagleOnAccept({} as GrpcServer)).toThrow(/http2Servers/);
    expect(() =>
      disableNagleOnAccept({ http2Servers: new Map() } as unknown as GrpcServer),
    ).toThrow(/http2Servers/);
  });
});
