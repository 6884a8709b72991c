/** The service name in logs, metrics, health and event sources. */
export const SERVICE_NAME = 'order-service';
/** DI token of the promise client of mercato.product.v1.ProductService. */
export const PRODUCT_CLIENT = Symbol('PRODUCT_CLIENT');
/** DI token of the promise client of mercato.payment.v1.PaymentService. */
export const PAYMENT_CLIENT = Symbol('PAYMENT_CLIENT');
