import { createTestDatabase, dropTestDatabase, testInfraEnvironment } from '@mercato/harness';
import {
  createDatabase,
  type Database,
  type DatabaseKind,
  type DatabaseOptions,
} from '../src/index.js';
import { createTestPglite } from '../src/testing.js';

/** One engine the behavioural suites run against. */
export interface TestBackend {
  readonly kind: DatabaseKind;
  /** A fresh, empty database (`poolSize` applies to PostgreSQL only). */
  open(options?: Pick<DatabaseOptions, 'poolSize' | 'preparedStatements'>): Promise<Database>;
  /**
   * Another handle on the same database, as a second replica would have: its own pool on
   * PostgreSQL; on PGlite the same instance, because one PGlite database belongs to one process.
   */
  replicaOf(db: Database): Promise<Database>;
  /** Closes every handle and drops every database this backend made. */
  cleanup(): Promise<void>;
}

function pgliteBackend(): TestBackend {
  const opened: Database[] = [];
  return {
    kind: 'pglite',
    async open() {
      const db = await createTestPglite();
      opened.push(db);
      return db;
    },
    async replicaOf(db) {
      return db;
    },
    async cleanup() {
      await Promise.all(opened.splice(0).map((db) => db.close()));
    },
  };
}

/** A real PostgreSQL server (from the jest global setup); each `open()` creates a database of its own. */
export function postgresBackend(): TestBackend {
  const urls = new Map<Database, string>();
  const created: string[] = [];
  const serverUrl = (): string => {
    const { databaseUrl } = testInfraEnvironment();
    if (!databaseUrl)
      throw new Error(
        'TEST_DATABASE_URL is not set: the jest global setup starts PostgreSQL and sets it',
      );
    return databaseUrl;
  };
  const connect = async (
    url: string,
    options: Pick<DatabaseOptions, 'poolSize' | 'preparedStatements'> = {},
  ): Promise<Database> => {
    const db = await createDatabase({
      url,
      poolSize: 4,
      ...options,
      applicationName: 'mercato-db-test',
    });
    urls.set(db, url);
    return db;
  };
  return {
    kind: 'postgres',
    async open(options) {
      const url = await createTestDatabase(serverUrl(), 'mercato_db_test');
      created.push(url);
      return connect(url, options);
    },
    async replicaOf(db) {
      const url = urls.get(db);
      if (!url) throw new Error('replicaOf() needs a database opened by this backend');
      return connect(url);
    },
    async cleanup() {
      await Promise.all([...urls.keys()].map((db) => db.close()));
      urls.clear();
      await Promise.all(created.splice(0).map((url) => dropTestDatabase(serverUrl(), url)));
    },
  };
}

/** Both engines: every behavioural test runs against embedded PGlite and a real PostgreSQL server. */
export function testBackends(): TestBackend[] {
  return [pgliteBackend(), postgresBackend()];
}
