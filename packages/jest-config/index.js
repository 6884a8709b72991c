import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const swcOptions = JSON.parse(readFileSync(require.resolve('@mercato/tsconfig/swc.json'), 'utf8'));

/**
 * Builds the Jest configuration every Mercato package uses.
 * Tests are ES modules (run with --experimental-vm-modules); workspace packages resolve to
 * their TypeScript source through the `@mercato/source` export condition.
 * @param {import('jest').Config} [overrides]
 * @returns {import('jest').Config}
 */
export function createJestConfig(overrides = {}) {
  return {
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@mercato/source'] },
    extensionsToTreatAsEsm: ['.ts'],
    moduleFileExtensions: ['ts', 'js', 'json'],
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        require.resolve('@swc/jest'),
        { ...swcOptions, sourceMaps: 'inline', swcrc: false },
      ],
    },
    // An upper bound for a hung test, not a speed claim: integration suites start brokers and
    // embedded databases, which a loaded 2-core CI machine can make slow.
    testTimeout: 60_000,
    // A test run that leaves something running fails after two minutes instead of hanging.
    reporters: ['default', [fileURLToPath(new URL('./exit-guard.js', import.meta.url)), {}]],
    ...overrides,
  };
}
