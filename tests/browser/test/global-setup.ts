import { setupTestInfra } from '@mercato/harness';

export default async () => {
  await setupTestInfra({ kafka: true, postgres: true });
};
