import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Progress reports on a referral (`report-progress`, by its recipient): one row per report, written
 * in the same statement as its `progress_reported` timeline event. And the key that makes the
 * "progress report due" reminder happen once per referral and report period.
 */
export class ReferralProgress1764260000000 implements MigrationInterface {
  name = 'ReferralProgress1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referral_progress (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        referral_id uuid NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
        event_id uuid NOT NULL REFERENCES referral_events(id),
        sessions_completed integer NOT NULL CONSTRAINT referral_progress_sessions_check CHECK (sessions_completed >= 0),
        pain_level integer CONSTRAINT referral_progress_pain_level_check CHECK (pain_level BETWEEN 0 AND 10),
        psfs numeric(4,2) CONSTRAINT referral_progress_psfs_check CHECK (psfs BETWEEN 0 AND 10),
        tolerance text NOT NULL CONSTRAINT referral_progress_tolerance_check CHECK (tolerance IN ('well', 'some_soreness', 'adverse')),
        note text,
        reported_by uuid NOT NULL REFERENCES users(id),
        reported_at timestamptz NOT NULL,
        CONSTRAINT referral_progress_event_key UNIQUE (event_id)
      )`);
    await q.query(`CREATE INDEX referral_progress_referral_idx ON referral_progress (referral_id, reported_at, id)`);
    await q.query(
      `CREATE UNIQUE INDEX referral_events_progress_due_key ON referral_events (referral_id, ((data->>'period')::int))
        WHERE type = 'progress_report_due'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX referral_events_progress_due_key`);
    await q.query(`DROP TABLE referral_progress`);
  }
}
