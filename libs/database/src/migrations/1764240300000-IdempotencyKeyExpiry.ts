import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Stored Idempotency-Key answers hold PHI and expire after 24 h: the timers job deletes them oldest first. */
export class IdempotencyKeyExpiry1764240300000 implements MigrationInterface {
  name = 'IdempotencyKeyExpiry1764240300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idempotency_keys_created_idx`);
  }
}
