import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API names every resource by a UUID; audit events had only their bigint sequence, which the
 * audit trail answered as `id`. Each event now has a UUID of its own for that (the sequence stays
 * the primary key, the party rows' reference and the trail's keyset order).
 */
export class AuditEventUids1764267000000 implements MigrationInterface {
  name = 'AuditEventUids1764267000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN uid uuid NOT NULL DEFAULT gen_random_uuid()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP COLUMN uid`);
  }
}
