import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Searching for "jose" finds "José", "muller" finds "Müller" and "montreal" finds "Montréal": the
 * patient search and the directory compare names without their accents, with PostgreSQL's own
 * `unaccent` (a trusted contrib extension, in every PostgreSQL build this project runs on,
 * the embedded one included).
 */
export class UnaccentSearch1764270000000 implements MigrationInterface {
  name = 'UnaccentSearch1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP EXTENSION IF EXISTS unaccent`);
  }
}
