import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A patient's consents, oldest first: every patient read, list page and search answer carries them,
 * and the only index on the table held the active ones alone, so each read scanned every clinic's
 * consents (487k rows on a clinic of 150k patients among 350k: 200–400 ms a page).
 */
export class ConsentsByPatient1764277000000 implements MigrationInterface {
  name = 'ConsentsByPatient1764277000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX patient_consents_patient_idx ON patient_consents (patient_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX patient_consents_patient_idx`);
  }
}
