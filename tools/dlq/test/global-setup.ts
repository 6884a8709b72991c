import { setupTestInfra } from '@mercato/harness';

/** Starts (or reuses) a Kafka broker; exports its address to the workers. */
export default () => setupTestInfra({ kafka: true, postgres: false });
