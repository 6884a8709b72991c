/** The service name in logs, metrics, health and event sources. */
export const SERVICE_NAME = 'payment-service';
/** DI token of the promise client of mercato.order.v1.OrderService. */
export const ORDER_CLIENT = Symbol('ORDER_CLIENT');
/** DI token of the PaymentProvider. */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');
