import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emergency advice: the sender's record that they told the client to seek emergency care now. A
 * referral whose red flags include an emergency sign (saddle numbness, a bladder or bowel change, a
 * hot swollen calf) cannot be sent without it. Existing referrals read as "not recorded".
 */
export class EmergencyAdvice1764261000000 implements MigrationInterface {
  name = 'EmergencyAdvice1764261000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referrals ADD COLUMN emergency_advice_given boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referrals DROP COLUMN emergency_advice_given`);
  }
}
