import { teardownTestInfra } from '@mercato/harness';

/** Releases the PostgreSQL server taken in global-setup.ts. */
export default async function globalTeardown(): Promise<void> {
  await teardownTestInfra();
}
