import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A send in progress holds its delivery until `sending_until`: a second job for the same delivery
 * (the reconciler re-adding one the queue lost while a worker was still sending it, a stalled job
 * re-run next to the original) waits instead of sending it a second time.
 */
export class DeliveryLease1764230000000 implements MigrationInterface {
  name = 'DeliveryLease1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries ADD COLUMN sending_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries DROP COLUMN sending_until`);
  }
}
