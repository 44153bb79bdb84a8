import { createDataSource } from '@referloop/database';
import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { SCHEMA_ENTITIES } from './schema-entities';

// The entity classes declare the schema; the migrations make it. On a freshly migrated database,
// what `migration:generate` would write (TypeORM's schema builder's pending SQL) must be nothing.

describe('entities and migrations', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(); // a copy of the template the real `migrate` command migrated
    source = createDataSource({ url: db.url, entities: SCHEMA_ENTITIES, poolSize: 2, applicationName: 'schema-check' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('leave nothing for migration:generate to write', async () => {
    await expect(source.showMigrations()).resolves.toBe(false); // every migration has run
    const pending = await source.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
