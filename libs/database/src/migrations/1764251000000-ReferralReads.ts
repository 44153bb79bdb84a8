import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-user read markers of a referral's conversation and timeline: what happened after `read_at`
 * and was done by someone else is unread for that user (the lists' `unreadCount`).
 */
export class ReferralReads1764251000000 implements MigrationInterface {
  name = 'ReferralReads1764251000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referral_reads (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        referral_id uuid NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
        read_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, referral_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE referral_reads`);
  }
}
