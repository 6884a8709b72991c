import { teardownTestInfra } from '@mercato/harness';

/** Releases the servers taken in global-setup.ts (each stops with its last user). */
export default () => teardownTestInfra();
