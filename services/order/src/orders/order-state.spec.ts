import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { type GrpcError } from '@mercato/grpc';
import { assertTransition, canTransition, isTerminal, OrderState } from './order-state.js';

describe('order state machine', () => {
  it.each([
    [OrderState.PENDING_PAYMENT, OrderState.PAID],
    [OrderState.PENDING_PAYMENT, OrderState.CANCELLED],
    [OrderState.PAID, OrderState.REFUNDED],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition('o1', from, to)).not.toThrow();
  });

  it.each([
    [OrderState.PENDING_PAYMENT, OrderState.REFUNDED],
    [OrderState.PAID, OrderState.CANCELLED],
    [OrderState.CANCELLED, OrderState.PAID],
    [OrderState.REFUNDED, OrderState.PAID],
    [OrderState.PAID, OrderState.PENDING_PAYMENT],
  ])('refuses %s → %s with FAILED_PRECONDITION', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    try {
      assertTransition('o1', from, to);
      throw new Error('expected assertTransition to throw');
    } catch (error) {
      expect((error as GrpcError).code).toBe(status.FAILED_PRECONDITION);
      expect((error as GrpcError).message).toBe(`order o1 is ${from} and cannot become ${to}`);
    }
  });

  it('knows which states are final', () => {
    expect(
      [
        OrderState.PENDING_PAYMENT,
        OrderState.PAID,
        OrderState.CANCELLED,
        OrderState.REFUNDED,
      ].filter(isTerminal),
    ).toEqual([OrderState.CANCELLED, OrderState.REFUNDED]);
  });
});
