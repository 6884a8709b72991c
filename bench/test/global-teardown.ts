import { teardownTestInfra } from '@mercato/harness';

export default () => teardownTestInfra();
