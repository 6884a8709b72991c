/** DI token of the service's pino Logger. */
export const LOGGER = Symbol('LOGGER');
/** DI token of the process's Health (register readiness checks on it). */
export const HEALTH = Symbol('HEALTH');
/** DI token of the process's Metrics. */
export const METRICS = Symbol('METRICS');
/** DI token of the service's validated, frozen configuration. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** DI token of the service's @mercato/db Database. */
export const DATABASE = Symbol('DATABASE');
/** DI token of the service's MessagingClient (Kafka). */
export const MESSAGING = Symbol('MESSAGING');
