import { createJestConfig } from './index.js';

export default createJestConfig();
