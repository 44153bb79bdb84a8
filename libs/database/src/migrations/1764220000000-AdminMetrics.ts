import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the clinic admin's views (metrics, overdue list, audit log, CSV export).
 *
 * - Metrics and the export read one clinic's referrals created in a time window, once as sender
 *   clinic and once as recipient clinic. Keyed by (clinic, created_at, id) and covering the
 *   columns the aggregation reads, so both sides are index-only range scans whose cost grows with
 *   the window, not with the table. The recipient side leaves drafts out, like every recipient view.
 * - Time to accept and to first appointment come from the timeline: a small partial covering index
 *   over the five event types they read, probed once per referral (a lateral lookup).
 * - The overdue list reads the few open referrals of a clinic (partial indexes, tiny).
 * - The audit log is filtered by action or actor within a clinic, newest first.
 */
export class AdminMetrics1764220000000 implements MigrationInterface {
  name = 'AdminMetrics1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX referrals_sender_clinic_created_idx ON referrals (sender_clinic_id, created_at, id)
        INCLUDE (status, sender_id, recipient_id, recipient_clinic_id, sent_at, sla_paused_ms, sla_paused_at)`);
    await q.query(`
      CREATE INDEX referrals_recipient_clinic_created_idx ON referrals (recipient_clinic_id, created_at, id)
        INCLUDE (status, sender_id, recipient_id, sender_clinic_id, sent_at, sla_paused_ms, sla_paused_at)
        WHERE status <> 'draft'`);
    await q.query(`
      CREATE INDEX referrals_open_sender_clinic_idx ON referrals (sender_clinic_id)
        INCLUDE (id, sent_at, sla_paused_ms, sla_paused_at)
        WHERE status IN ('sent', 'received', 'info_requested')`);
    await q.query(`
      CREATE INDEX referrals_open_recipient_clinic_idx ON referrals (recipient_clinic_id)
        INCLUDE (id, sender_clinic_id, sent_at, sla_paused_ms, sla_paused_at)
        WHERE status IN ('sent', 'received', 'info_requested')`);
    await q.query(`
      CREATE INDEX referral_events_metrics_idx ON referral_events (referral_id, type, occurred_at)
        WHERE type IN ('sent', 'accepted', 'info_requested', 'info_provided', 'scheduled')`);
    await q.query(`CREATE INDEX audit_events_clinic_action_idx ON audit_events (clinic_id, action, occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_clinic_actor_idx ON audit_events (clinic_id, actor_id, occurred_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_events_clinic_actor_idx`);
    await q.query(`DROP INDEX audit_events_clinic_action_idx`);
    await q.query(`DROP INDEX referral_events_metrics_idx`);
    await q.query(`DROP INDEX referrals_open_recipient_clinic_idx`);
    await q.query(`DROP INDEX referrals_open_sender_clinic_idx`);
    await q.query(`DROP INDEX referrals_recipient_clinic_created_idx`);
    await q.query(`DROP INDEX referrals_sender_clinic_created_idx`);
  }
}
