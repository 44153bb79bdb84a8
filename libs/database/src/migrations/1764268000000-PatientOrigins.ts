import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A clinic's copy of a referred patient was made once per referral, so a second referral of the
 * same person made a second record (with no consent), and a maintenance referral back to the
 * sending clinic made a copy of that clinic's own patient. Each copy now names the first record of
 * the person (`origin_patient_id`, null on that record itself), and a clinic holds at most one
 * copy of each. Existing copies are linked to their origin; where a clinic already holds several
 * of one person, the earliest is linked and the others stay records of their own.
 */
export class PatientOrigins1764268000000 implements MigrationInterface {
  name = 'PatientOrigins1764268000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE patients ADD COLUMN origin_patient_id uuid`);
    await q.query(`
      WITH RECURSIVE lineage AS (
        SELECT p.id, p.id AS origin FROM patients p WHERE p.source_referral_id IS NULL
        UNION ALL
        SELECT c.id, l.origin
          FROM patients c JOIN referrals r ON r.id = c.source_referral_id JOIN lineage l ON l.id = r.patient_id
      ), firsts AS (
        SELECT DISTINCT ON (p.clinic_id, l.origin) p.id, l.origin
          FROM lineage l JOIN patients p ON p.id = l.id JOIN patients o ON o.id = l.origin
         WHERE l.id <> l.origin AND o.clinic_id <> p.clinic_id
         ORDER BY p.clinic_id, l.origin, p.created_at, p.id
      )
      UPDATE patients p SET origin_patient_id = f.origin FROM firsts f WHERE p.id = f.id`);
    await q.query(
      `ALTER TABLE patients ADD CONSTRAINT patients_origin_patient_id_fkey FOREIGN KEY (origin_patient_id) REFERENCES patients(id)`,
    );
    await q.query(`ALTER TABLE patients ADD CONSTRAINT patients_clinic_origin_key UNIQUE (clinic_id, origin_patient_id)`);
    // A referral names one person, so this key is implied; kept, it failed (instead of waiting) two
    // imports of one referral at once, whose insert waits on the origin key.
    await q.query(`ALTER TABLE patients DROP CONSTRAINT patients_clinic_source_referral_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE patients ADD CONSTRAINT patients_clinic_source_referral_key UNIQUE (clinic_id, source_referral_id)`,
    );
    await q.query(`ALTER TABLE patients DROP CONSTRAINT patients_clinic_origin_key`);
    await q.query(`ALTER TABLE patients DROP CONSTRAINT patients_origin_patient_id_fkey`);
    await q.query(`ALTER TABLE patients DROP COLUMN origin_patient_id`);
  }
}
