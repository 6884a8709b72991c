import { createJestConfig } from '@mercato/jest-config';

export default createJestConfig({
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
});
