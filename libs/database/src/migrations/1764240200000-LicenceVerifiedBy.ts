import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who attested a practitioner's licence: the clinic admin who last recorded it (with
 * licence_verified_at, when). Licences verified before this column existed keep it null.
 */
export class LicenceVerifiedBy1764240200000 implements MigrationInterface {
  name = 'LicenceVerifiedBy1764240200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN licence_verified_by uuid REFERENCES users(id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN licence_verified_by`);
  }
}
