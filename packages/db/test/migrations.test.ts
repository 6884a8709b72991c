import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadMigrations,
  migrate,
  migrationChecksum,
  sqlState,
  type Database,
  type DatabaseLogger,
  type Migration,
} from '../src/index.js';
import { testBackends } from './backends.js';

const CREATE_PRODUCTS: Migration = {
  version: 1,
  name: 'create_products',
  sql: 'CREATE TABLE products (id text PRIMARY KEY, name text NOT NULL);',
};
const ADD_PRICE: Migration = {
  version: 2,
  name: 'add_price',
  sql: `ALTER TABLE products ADD COLUMN price_minor int NOT NULL DEFAULT 0;
        INSERT INTO products (id, name, price_minor) VALUES ('sku-1', 'Teapot', 2500);`,
};
const CREATE_STOCK: Migration = {
  version: 3,
  name: 'create_stock',
  sql: 'CREATE TABLE stock (product_id text PRIMARY KEY REFERENCES products (id), quantity int NOT NULL);',
};

interface MigrationRow {
  version: number;
  name: string;
  checksum: string;
}

async function recorded(db: Database): Promise<MigrationRow[]> {
  const { rows } = await db.query<MigrationRow>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  return rows;
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS found',
    [table],
  );
  return rows[0]?.found === true;
}

describe.each(testBackends())('migrate on $kind', (backend) => {
  afterEach(() => backend.cleanup());

  it('applies pending migrations in version order, then skips them on the next start', async () => {
    const db = await backend.open();

    const first = await migrate(db, [ADD_PRICE, CREATE_PRODUCTS]);
    const second = await migrate(db, [CREATE_PRODUCTS, ADD_PRICE]);

    expect(first).toEqual({ applied: [1, 2], skipped: [] });
    expect(second).toEqual({ applied: [], skipped: [1, 2] });
    expect(await recorded(db)).toEqual([
      { version: 1, name: 'create_products', checksum: migrationChecksum(CREATE_PRODUCTS.sql) },
      { version: 2, name: 'add_price', checksum: migrationChecksum(ADD_PRICE.sql) },
    ]);
    expect((await db.query('SELECT id, price_minor FROM products')).rows).toEqual([
      { id: 'sku-1', price_minor: 2500 },
    ]);
  });

  it('applies only the migrations added since the last start', async () => {
    const db = await backend.open();
    await migrate(db, [CREATE_PRODUCTS]);

    const report = await migrate(db, [CREATE_PRODUCTS, ADD_PRICE, CREATE_STOCK]);

    expect(report).toEqual({ applied: [2, 3], skipped: [1] });
    expect(await tableExists(db, 'stock')).toBe(true);
  });

  it('refuses to run when an applied migration was edited, and applies nothing', async () => {
    const db = await backend.open();
    await migrate(db, [CREATE_PRODUCTS]);
    const edited = {
      ...CREATE_PRODUCTS,
      sql: 'CREATE TABLE products (id text PRIMARY KEY, title text);',
    };

    await expect(migrate(db, [edited, ADD_PRICE])).rejects.toThrow(
      'Migration 1 (create_products) was changed after it was applied',
    );
    expect((await recorded(db)).map((row) => row.version)).toEqual([1]);
  });

  it('treats a line-ending change as no change', async () => {
    const db = await backend.open();
    await migrate(db, [
      { ...ADD_PRICE, version: 1, sql: 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n' },
    ]);

    const report = await migrate(db, [
      { ...ADD_PRICE, version: 1, sql: 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n' },
    ]);

    expect(report).toEqual({ applied: [], skipped: [1] });
  });

  it('rolls a failing migration back whole, keeps the ones before it, and retries it next time', async () => {
    const db = await backend.open();
    const broken: Migration = {
      version: 2,
      name: 'add_price',
      sql: 'ALTER TABLE products ADD COLUMN price_minor int; ALTER TABLE no_such_table ADD COLUMN x int;',
    };

    const error: unknown = await migrate(db, [CREATE_PRODUCTS, broken]).catch(
      (failure: unknown) => failure,
    );
    const columns = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'",
    );
    const retry = await migrate(db, [CREATE_PRODUCTS, ADD_PRICE]);

    expect(sqlState(error)).toBe('42P01');
    expect(columns.rows).toEqual(expect.not.arrayContaining([{ column_name: 'price_minor' }]));
    expect(retry).toEqual({ applied: [2], skipped: [1] });
  });

  it('applies each migration once when replicas start at the same time', async () => {
    const db = await backend.open();
    const replicas = [db, await backend.replicaOf(db), await backend.replicaOf(db)];
    const migrations = [CREATE_PRODUCTS, ADD_PRICE, CREATE_STOCK];

    const reports = await Promise.all(replicas.map((replica) => migrate(replica, migrations)));

    expect(reports.flatMap((report) => report.applied).sort()).toEqual([1, 2, 3]);
    expect(reports.map((report) => [...report.applied, ...report.skipped].sort())).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect((await db.query('SELECT id FROM products')).rows).toEqual([{ id: 'sku-1' }]);
  });

  it('leaves migrations it does not know alone, and says so', async () => {
    const db = await backend.open();
    await migrate(db, [CREATE_PRODUCTS, ADD_PRICE]);
    const warnings: Array<{ details: object; message: string }> = [];
    const logger: DatabaseLogger = {
      info: () => undefined,
      warn: (details, message) => warnings.push({ details, message }),
    };

    const report = await migrate(db, [CREATE_PRODUCTS], { logger });

    expect(report).toEqual({ applied: [], skipped: [1] });
    expect(warnings).toEqual([
      { details: { versions: [2] }, message: expect.stringContaining('does not know') },
    ]);
  });

  it('runs the migrations of a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mercato-db-migrations-'));
    try {
      await writeFile(join(dir, '001_create_products.sql'), CREATE_PRODUCTS.sql);
      await writeFile(join(dir, '002_add_price.sql'), ADD_PRICE.sql);
      const db = await backend.open();

      const report = await migrate(db, await loadMigrations(dir));

      expect(report).toEqual({ applied: [1, 2], skipped: [] });
      expect((await recorded(db)).map((row) => row.name)).toEqual(['create_products', 'add_price']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
