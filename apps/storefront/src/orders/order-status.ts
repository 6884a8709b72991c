import type { OrderStatus } from '../api/types.js';

/** How the storefront shows each status. */
export const STATUS_LABELS: Record<OrderStatus, string> = {
  PENDING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
};

/** Whether the saga is done with the order, so there is nothing more to wait for. */
export const isSettled = (status: OrderStatus): boolean => status !== 'PENDING_PAYMENT';

/**
 * What the shopper may do to an order, following the API: cancel one that awaits payment, or
 * cancel a paid one, which refunds it. Cancelled and refunded orders are final.
 */
export function cancelAction(
  status: OrderStatus,
): { label: string; explanation: string } | undefined {
  switch (status) {
    case 'PENDING_PAYMENT':
      return {
        label: 'Cancel order',
        explanation: 'The order is cancelled before any payment is taken.',
      };
    case 'PAID':
      return {
        label: 'Cancel and refund',
        explanation: 'The order is cancelled and the full amount refunded.',
      };
    default:
      return undefined;
  }
}

const REASONS: Record<string, string> = {
  card_declined: 'The payment was declined by the card issuer.',
  insufficient_funds: 'The card has insufficient funds.',
  invalid_token: 'The payment details were not valid.',
  cancelled_by_customer: 'You cancelled this order.',
  order_cancelled_during_payment: 'The order was cancelled while the payment was being taken.',
};

/** Why an order ended as it did, in words; the API's reason codes are not for shoppers. */
export function reasonText(status: OrderStatus, reason: string): string | undefined {
  if (status === 'CANCELLED' || status === 'REFUNDED')
    return REASONS[reason] ?? (reason ? `Reason: ${reason.replaceAll('_', ' ')}.` : undefined);
  return undefined;
}

/** How long each status request asks the gateway to wait for the payment outcome. */
export const ORDER_WAIT_SECONDS = 15;

/** How long to wait before asking for the order's status again, when the gateway did not wait. */
export const POLL_INTERVAL_MS = 1_000;
const MAX_POLL_BACKOFF_MS = 10_000;

/**
 * The delay before the next status request: steady while the API answers, doubling after each
 * failed request in a row (up to 10 s), so a struggling backend is not hammered by open tabs.
 */
export const nextPollDelay = (consecutiveFailures: number): number =>
  Math.min(MAX_POLL_BACKOFF_MS, POLL_INTERVAL_MS * 2 ** consecutiveFailures);
