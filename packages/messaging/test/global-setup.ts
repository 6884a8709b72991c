import { setupTestInfra } from '@mercato/harness';

/** Starts (or reuses) a Kafka broker and a PostgreSQL server; exports their addresses to the workers. */
export default () => setupTestInfra({ kafka: true, postgres: true });
