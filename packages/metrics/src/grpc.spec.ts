import { describe, expect, it } from '@jest/globals';
import { parseMethodPath } from './grpc.js';

describe('parseMethodPath', () => {
  it('splits a gRPC path into service and method', () => {
    expect(parseMethodPath('/mercato.order.v1.OrderService/CreateOrder')).toEqual({
      service: 'mercato.order.v1.OrderService',
      method: 'CreateOrder',
    });
  });

  it('keeps a malformed path as the method of an unknown service', () => {
    expect(parseMethodPath('CreateOrder')).toEqual({ service: 'unknown', method: 'CreateOrder' });
  });
});
