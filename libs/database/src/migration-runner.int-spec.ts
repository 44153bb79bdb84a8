import { randomBytes } from 'node:crypto';
import { assertTestDatabase, databaseUrl, withAdminClient } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { runMigrationsLocked } from './migration-runner';
import { MIGRATIONS } from './migrations';

// Two instances start at once on an empty database: the advisory lock makes exactly one of them
// migrate, the other waits and finds nothing left to do.

describe('runMigrationsLocked', () => {
  const name = `referloop_test_migrate_${randomBytes(5).toString('hex')}`;
  const sources: DataSource[] = [];
  const expected = MIGRATIONS.map((Migration) => new Migration().name);

  beforeAll(async () => {
    assertTestDatabase(name);
    // Empty on purpose (not a copy of the migrated template).
    await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
    for (const applicationName of ['migrator-a', 'migrator-b']) {
      const source = createDataSource({ url: databaseUrl(name), poolSize: 3, applicationName });
      await source.initialize();
      sources.push(source);
    }
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it('starts from a database without any table', async () => {
    const [{ n }] = await sources[0].query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(n).toBe(0);
    expect(expected.length).toBeGreaterThan(0);
  });

  it('lets exactly one of two concurrent runners apply the migrations, without an error', async () => {
    const results = await Promise.all(sources.map((source) => runMigrationsLocked(source)));
    const sorted = [...results].sort((a, b) => a.length - b.length);
    expect(sorted).toEqual([[], expected]);

    const rows: { name: string }[] = await sources[0].query(`SELECT name FROM typeorm_migrations ORDER BY id`);
    expect(rows.map((r) => r.name)).toEqual(expected);
    const [{ n }] = await sources[0].query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'`,
    );
    expect(n).toBe(1);
  });

  it('releases the lock, and a later run applies nothing', async () => {
    const locks = await sources[0].query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1`,
      [name],
    );
    expect(locks[0].n).toBe(0);
    await expect(runMigrationsLocked(sources[1])).resolves.toEqual([]);
  });
});
