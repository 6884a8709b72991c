-- The reason a customer gave for cancelling a paid order, stored before the order service asks the
-- payment service for the refund. The refund's `payment.refunded.v1` event can reach the order
-- service before the payment service's answer does; whichever of the two moves the order to
-- REFUNDED then records the customer's reason and counts a customer cancellation. Empty when no
-- cancellation of the paid order was asked for (a refund made at the payment service directly).
ALTER TABLE orders ADD COLUMN refund_requested_reason text NOT NULL DEFAULT '';
