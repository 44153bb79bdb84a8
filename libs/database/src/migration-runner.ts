import type { DataSource } from 'typeorm';

/** Arbitrary, stable key: every ReferLoop migrator takes this lock, so two instances never migrate at once. */
const MIGRATION_LOCK_KEY = 727_366_001;

/**
 * Applies pending migrations while holding a session-level advisory lock on a dedicated
 * connection. A second instance blocks on the lock, then finds nothing left to do.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockRunner.release();
  }
}
