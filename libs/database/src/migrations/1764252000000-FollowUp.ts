import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Follow-up: a maintenance referral names the injury referral it follows (`previous_id`), and a
 * patient copied from a referral's patient summary names that referral (`source_referral_id`),
 * one copy per clinic and referral. A maintenance draft made by a follow-up may have no plan yet
 * (sending needs one). Stored plans keep their shape: the reader fills what old plans lack
 * (see maintenancePlanView).
 */
export class FollowUp1764252000000 implements MigrationInterface {
  name = 'FollowUp1764252000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referrals ADD COLUMN previous_id uuid
                     CONSTRAINT referrals_previous_id_fkey REFERENCES referrals(id)`);
    await q.query(`CREATE INDEX referrals_previous_idx ON referrals (previous_id) WHERE previous_id IS NOT NULL`);
    await q.query(`ALTER TABLE patients ADD COLUMN source_referral_id uuid
                     CONSTRAINT patients_source_referral_id_fkey REFERENCES referrals(id)`);
    await q.query(
      `ALTER TABLE patients ADD CONSTRAINT patients_clinic_source_referral_key UNIQUE (clinic_id, source_referral_id)`,
    );
    await q.query(`ALTER TABLE referrals DROP CONSTRAINT maintenance_has_plan`);
    await q.query(
      `ALTER TABLE referrals ADD CONSTRAINT plan_only_for_maintenance CHECK (kind = 'maintenance_massage' OR plan IS NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referrals DROP CONSTRAINT plan_only_for_maintenance`);
    await q.query(
      `ALTER TABLE referrals ADD CONSTRAINT maintenance_has_plan CHECK ((kind = 'maintenance_massage') = (plan IS NOT NULL))`,
    );
    await q.query(`ALTER TABLE patients DROP COLUMN source_referral_id`);
    await q.query(`ALTER TABLE referrals DROP COLUMN previous_id`);
  }
}
