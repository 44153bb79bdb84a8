import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { runMigrationsLocked } from './migration-runner';

// PatientOrigins dropped the per-referral copy key only in a later edit: a database migrated by its
// first version keeps the key, which the next migrate must remove like a fresh database never had it.

describe('StrayPatientSourceKey migration', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 2, applicationName: 'stray-patient-source-key' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const keyExists = async (): Promise<boolean> =>
    (
      await source.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'patients_clinic_source_referral_key'`,
      )
    )[0].n === 1;

  it('drops the key a database upgraded from the first PatientOrigins still has, and migrates once', async () => {
    expect(await keyExists()).toBe(false);
    // The database as PatientOrigins' first version left it, before this migration ran.
    await source.query(
      `ALTER TABLE patients ADD CONSTRAINT patients_clinic_source_referral_key UNIQUE (clinic_id, source_referral_id)`,
    );
    await source.query(`DELETE FROM typeorm_migrations WHERE name = 'StrayPatientSourceKey1764276000000'`);

    expect(await runMigrationsLocked(source)).toEqual(['StrayPatientSourceKey1764276000000']);
    expect(await keyExists()).toBe(false);
    expect(await runMigrationsLocked(source)).toEqual([]);
  });
});
