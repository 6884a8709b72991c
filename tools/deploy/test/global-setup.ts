import { setupTestInfra } from '@mercato/harness';

// The replayed order service image needs a real broker and database, as in compose.
export default () => setupTestInfra({ kafka: true, postgres: true });
