import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The recipient side sees a referral once it was sent (`sent_at IS NOT NULL`), not whenever its
 * status is not `draft`: a draft cancelled before sending is `cancelled` but was never theirs to
 * see. The partial indexes behind the recipient's boxes and the recipient clinic's metrics and
 * export are rebuilt on the same condition their queries now use.
 */
export class RecipientSeesSent1764240000000 implements MigrationInterface {
  name = 'RecipientSeesSent1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX referrals_recipient_box_idx`);
    await q.query(
      `CREATE INDEX referrals_recipient_box_idx ON referrals (recipient_id, updated_at DESC, id DESC) WHERE sent_at IS NOT NULL`,
    );
    await q.query(`DROP INDEX referrals_recipient_clinic_idx`);
    await q.query(
      `CREATE INDEX referrals_recipient_clinic_idx ON referrals (recipient_clinic_id, updated_at DESC, id DESC) WHERE sent_at IS NOT NULL`,
    );
    await q.query(`DROP INDEX referrals_recipient_clinic_created_idx`);
    await q.query(`
      CREATE INDEX referrals_recipient_clinic_created_idx ON referrals (recipient_clinic_id, created_at, id)
        INCLUDE (status, sender_id, recipient_id, sender_clinic_id, sent_at, sla_paused_ms, sla_paused_at)
        WHERE sent_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX referrals_recipient_clinic_created_idx`);
    await q.query(`
      CREATE INDEX referrals_recipient_clinic_created_idx ON referrals (recipient_clinic_id, created_at, id)
        INCLUDE (status, sender_id, recipient_id, sender_clinic_id, sent_at, sla_paused_ms, sla_paused_at)
        WHERE status <> 'draft'`);
    await q.query(`DROP INDEX referrals_recipient_clinic_idx`);
    await q.query(
      `CREATE INDEX referrals_recipient_clinic_idx ON referrals (recipient_clinic_id, updated_at DESC, id DESC) WHERE status <> 'draft'`,
    );
    await q.query(`DROP INDEX referrals_recipient_box_idx`);
    await q.query(
      `CREATE INDEX referrals_recipient_box_idx ON referrals (recipient_id, updated_at DESC, id DESC) WHERE status <> 'draft'`,
    );
  }
}
