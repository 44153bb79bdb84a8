import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The invitation emails of an invite, by time: before planning another one (a send or a reminder of
 * a referral sharing the link), the relay asks whether the invite was emailed within the last hour.
 */
export class InviteEmailIndex1764274000000 implements MigrationInterface {
  name = 'InviteEmailIndex1764274000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX notification_deliveries_invite_email_idx ON notification_deliveries (recipient_key, created_at)
        WHERE notification_type = 'referral_invite.email'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notification_deliveries_invite_email_idx`);
  }
}
