import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the timer sweeps, which ran every minute as scans: at 1,000,000 referrals the expiry
 * sweep took 7.6 s and the progress-report sweep 7.3 s of PostgreSQL CPU (walking the primary key
 * or the whole table for a few thousand candidates).
 * - The response clock (reminders, escalations, expiry): a referral is due only once it was sent at
 *   least the threshold ago (pauses only delay it), so the sweeps also ask for `sent_at` at or before
 *   now minus the threshold of each priority, a range on this index.
 * - Progress-report reminders: only maintenance plans in care that ask for reports.
 */
export class TimerSweepIndexes1764263000000 implements MigrationInterface {
  name = 'TimerSweepIndexes1764263000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX referrals_response_clock_idx ON referrals (priority, sent_at) WHERE status IN ('sent', 'received', 'info_requested')`,
    );
    await q.query(
      `CREATE INDEX referrals_progress_plans_idx ON referrals (id)
        WHERE kind = 'maintenance_massage' AND status IN ('accepted', 'scheduled', 'in_care')
          AND responded_at IS NOT NULL AND (plan->>'reportEveryWeeks')::int > 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX referrals_progress_plans_idx`);
    await q.query(`DROP INDEX referrals_response_clock_idx`);
  }
}
