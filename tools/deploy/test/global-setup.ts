import { setupTestInfra } from '@mercato/harness';

// The replayed service images start against a real broker and PostgreSQL, as in compose.
export default () => setupTestInfra({ kafka: true, postgres: true });
