import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PatientOrigins was changed after it had shipped, to drop the per-referral copy key (clinic, source
 * referral): a database that ran its first version still has that key, and two imports of one
 * referral at once fail there (a 500) instead of waiting on the origin key. It goes here too; on a
 * database that ran the later version there is nothing to drop.
 */
export class StrayPatientSourceKey1764276000000 implements MigrationInterface {
  name = 'StrayPatientSourceKey1764276000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE patients DROP CONSTRAINT IF EXISTS patients_clinic_source_referral_key`);
  }

  async down(): Promise<void> {
    // Nothing: whether the key was there before is not recorded, and the schema never needed it.
  }
}
