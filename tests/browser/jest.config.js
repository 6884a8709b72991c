import { createJestConfig } from '@mercato/jest-config';

export default createJestConfig({
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // One shop and one browser for the whole suite; a second worker would only compete for 2 cores.
  maxWorkers: 1,
});
