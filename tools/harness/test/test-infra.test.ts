import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createTestDatabase,
  isPostgresReachable,
  postgresStatus,
  setupTestInfra,
  teardownTestInfra,
  testInfraEnvironment,
} from '../src/index.js';
import { START_TIMEOUT_MS } from './helpers.js';

// The globalSetup/globalTeardown pair, run in one process as Jest runs them, on a private server.
describe('setupTestInfra / teardownTestInfra', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'harness-test-infra-'));
    // Searchable by others, as the default state directory is: run as root, PostgreSQL runs as `postgres`.
    await chmod(stateDir, 0o755);
  });
  afterAll(() => rm(stateDir, { recursive: true, force: true }));

  it(
    'publishes TEST_DATABASE_URL for test files, and teardown stops what setup started',
    async () => {
      const notes: string[] = [];
      await setupTestInfra({
        postgres: { stateDir, externalUrl: null },
        log: (note) => notes.push(note),
      });

      const { databaseUrl } = testInfraEnvironment();
      if (databaseUrl === undefined) throw new Error('TEST_DATABASE_URL was not published');
      expect(await postgresStatus({ stateDir })).toMatchObject({
        instance: { endpoint: { url: databaseUrl } },
      });
      await expect(createTestDatabase(databaseUrl, 'suite')).resolves.toMatch(
        /\/suite_[0-9a-f]{8}$/,
      );
      expect(notes.join('\n')).toContain(`PostgreSQL at ${databaseUrl}`);

      await teardownTestInfra();

      expect(await isPostgresReachable(databaseUrl, 500)).toBe(false);
    },
    START_TIMEOUT_MS,
  );
});
