/** The service name in logs, metrics and health. */
export const SERVICE_NAME = 'product-service';
