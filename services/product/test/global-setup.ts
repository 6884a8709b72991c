import { setupTestInfra } from '@mercato/harness';

export default () => setupTestInfra({ postgres: true });
