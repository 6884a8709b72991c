import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setupTestInfra } from '@mercato/harness';

export default async (_globalConfig: unknown, projectConfig: { rootDir: string }) => {
  // Only the last run's shop logs are kept (support/shop.ts writes them to <package>/artifacts).
  await rm(join(projectConfig.rootDir, 'artifacts'), { recursive: true, force: true });
  await setupTestInfra({ kafka: true, postgres: true });
};
