import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { z } from 'zod';
import { GrpcError } from './errors.js';
import { parseRequest, protoFieldPath } from './validation.js';

const schema = z.object({
  customerId: z.string().min(1),
  lines: z
    .array(z.object({ productId: z.string().min(1), quantity: z.number().int().min(1) }))
    .min(1),
});

describe('parseRequest', () => {
  it('returns the parsed request when it is valid', () => {
    const request = { customerId: 'c1', lines: [{ productId: 'p1', quantity: 2 }] };
    expect(parseRequest(schema, request)).toEqual(request);
  });

  it('throws INVALID_ARGUMENT naming every bad field by its proto name', () => {
    try {
      parseRequest(schema, { customerId: '', lines: [{ productId: 'p1', quantity: -1 }] });
      throw new Error('expected parseRequest to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(GrpcError);
      const grpcError = error as GrpcError;
      expect(grpcError.code).toBe(status.INVALID_ARGUMENT);
      expect(grpcError.fieldViolations.map((violation) => violation.field)).toEqual([
        'customer_id',
        'lines[0].quantity',
      ]);
      expect(grpcError.message).toContain('lines[0].quantity');
    }
  });

  it('formats nested paths in snake case', () => {
    expect(protoFieldPath(['orderLines', 3, 'unitPrice', 'amountMinor'])).toBe(
      'order_lines[3].unit_price.amount_minor',
    );
  });
});
