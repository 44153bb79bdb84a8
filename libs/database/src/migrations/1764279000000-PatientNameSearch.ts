import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The patient search (`GET /patients?q=`) finds each word anywhere in the first or the last name,
 * accents and case aside: `name_order(name) LIKE name_order('%word%')`. With no index on that, a
 * search walked the clinic's list in name order testing every name until a page matched, all of a
 * 150k-patient clinic for a surname late in the alphabet (1–3 s). A trigram index on each name's
 * name_order (immutable, the NameOrder migration) finds the matches of a word of three characters
 * or more. pg_trgm is a trusted contrib extension, in every PostgreSQL build this project runs on,
 * the embedded one included (like unaccent).
 */
export class PatientNameSearch1764279000000 implements MigrationInterface {
  name = 'PatientNameSearch1764279000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE INDEX patients_first_name_trgm_idx ON patients USING gin (name_order(first_name) gin_trgm_ops)`);
    await q.query(`CREATE INDEX patients_last_name_trgm_idx ON patients USING gin (name_order(last_name) gin_trgm_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX patients_last_name_trgm_idx`);
    await q.query(`DROP INDEX patients_first_name_trgm_idx`);
    await q.query(`DROP EXTENSION IF EXISTS pg_trgm`);
  }
}
