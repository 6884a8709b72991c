import { createJestConfig } from '@mercato/jest-config';

export default createJestConfig();
