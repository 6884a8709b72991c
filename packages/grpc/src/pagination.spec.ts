import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { type GrpcError } from './errors.js';
import { decodePageToken, encodePageToken } from './pagination.js';

describe('page tokens', () => {
  it('round-trip an offset and treat an empty token as the first page', () => {
    expect(decodePageToken(encodePageToken(40))).toBe(40);
    expect(decodePageToken('')).toBe(0);
  });

  it.each([
    'forged',
    Buffer.from('{"offset":-1}').toString('base64url'),
    Buffer.from('{"offset":"2"}').toString('base64url'),
  ])('rejects %p with INVALID_ARGUMENT on page_token', (token) => {
    try {
      decodePageToken(token);
      throw new Error('expected decodePageToken to throw');
    } catch (error) {
      expect((error as GrpcError).code).toBe(status.INVALID_ARGUMENT);
      expect((error as GrpcError).fieldViolations).toEqual([
        { field: 'page_token', description: 'is not a token this API issued' },
      ]);
    }
  });
});
