import { setupTestInfra } from '@mercato/harness';

export default () => setupTestInfra({ kafka: true, postgres: true });
