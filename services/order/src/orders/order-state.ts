import { failedPrecondition } from '@mercato/grpc';

/** Where an order is in its life. Mirrors mercato.order.v1.OrderStatus without the prefix. */
export enum OrderState {
  PENDING_PAYMENT = 'PENDING_PAYMENT',
  PAID = 'PAID',
  CANCELLED = 'CANCELLED',
  REFUNDED = 'REFUNDED',
}

/** The only moves an order may make. Terminal states have none. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  [OrderState.PENDING_PAYMENT]: [OrderState.PAID, OrderState.CANCELLED],
  [OrderState.PAID]: [OrderState.REFUNDED],
  [OrderState.CANCELLED]: [],
  [OrderState.REFUNDED]: [],
};

/** True when the order may move from `from` to `to`. */
export const canTransition = (from: OrderState, to: OrderState): boolean =>
  ORDER_TRANSITIONS[from].includes(to);

/** Throws FAILED_PRECONDITION when the move is not allowed. */
export function assertTransition(orderId: string, from: OrderState, to: OrderState): void {
  if (!canTransition(from, to)) {
    throw failedPrecondition(`order ${orderId} is ${from} and cannot become ${to}`);
  }
}

/** True for states no event can change any more. */
export const isTerminal = (state: OrderState): boolean => ORDER_TRANSITIONS[state].length === 0;
