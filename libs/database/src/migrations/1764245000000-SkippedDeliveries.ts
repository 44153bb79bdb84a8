import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery with nothing left to send (its webhook deleted, its invitation accepted or expired, no
 * email address) is `skipped`, with the reason in `last_error`: before, it was recorded as `delivered`
 * with a `skipped: ` prefix, which delivery counts could not tell from a real send.
 */
export class SkippedDeliveries1764245000000 implements MigrationInterface {
  name = 'SkippedDeliveries1764245000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check`);
    await q.query(
      `ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
         CHECK (status IN ('pending', 'delivered', 'failed', 'skipped'))`,
    );
    await q.query(
      `UPDATE notification_deliveries SET status = 'skipped', delivered_at = NULL, last_error = substr(last_error, length('skipped: ') + 1)
        WHERE status = 'delivered' AND last_error LIKE 'skipped: %'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), last_error = 'skipped: ' || coalesce(last_error, '')
        WHERE status = 'skipped'`,
    );
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check`);
    await q.query(
      `ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
         CHECK (status IN ('pending', 'delivered', 'failed'))`,
    );
  }
}
