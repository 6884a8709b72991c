import { setupTestInfra } from '@mercato/harness';

/** Starts (or reuses) a PostgreSQL server for the suites and exports TEST_DATABASE_URL to the workers. */
export default async function globalSetup(): Promise<void> {
  await setupTestInfra({ postgres: true });
}
