import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows } from '@referloop/database';
import { DataSource } from 'typeorm';
import { IDEMPOTENCY_TTL_MS } from './idempotency';
import { progressReportsDue } from './progress/progress-store';

export interface TimerSettings {
  reminderAfterMs: number;
  escalateAfterMs: number;
  expireAfterMs: number;
  autoCloseAfterMs: number;
  /** Urgent referrals run on their own, shorter response clock. */
  urgentReminderAfterMs: number;
  urgentEscalateAfterMs: number;
  urgentExpireAfterMs: number;
}

export interface TimerRun {
  reminded: number;
  escalated: number;
  expired: number;
  autoClosed: number;
  /** "Progress report due" reminders of maintenance plans with `reportEveryWeeks` (once per referral and period). */
  progressDue: number;
  /** Stored Idempotency-Key answers past their lifetime, deleted. */
  idempotencyKeysDeleted: number;
}

/** Batch size per timer per run: a long backlog drains over consecutive runs. */
const BATCH = 500;

/**
 * SQL for the milliseconds a referral has been waiting for the recipient's decision at `now` (an
 * SQL expression, e.g. `$1`): since it was sent, minus the time spent in info_requested (including
 * a pause still running). The one definition of the response SLA clock: timers and admin metrics
 * both use it.
 */
export function responseElapsedMsSql(now: string, alias: string): string {
  return `(extract(epoch FROM ${now}::timestamptz - ${alias}.sent_at) * 1000
     - ${alias}.sla_paused_ms
     - COALESCE(extract(epoch FROM ${now}::timestamptz - ${alias}.sla_paused_at) * 1000, 0))`;
}

const RESPONSE_ELAPSED_MS = responseElapsedMsSql('$1', 'r');

/** The response-clock threshold of referral `r` by its priority, given the routine and urgent ones as parameters. */
const thresholdSql = (routine: string, urgent: string) =>
  `CASE WHEN r.priority = 'urgent' THEN ${urgent}::bigint ELSE ${routine}::bigint END`;

/**
 * The system's side of the lifecycle: reminders, escalations, expiry, auto-close and progress-report
 * reminders. Every step
 * is one set-based statement that re-reads the current state, so a run after the referral moved
 * on does nothing, and unique keys make each reminder and escalation happen once per referral
 * however often (or however many workers) run it. Each writes its timeline event and outbox row
 * in the same statement. Each run also deletes stored Idempotency-Key answers past their lifetime.
 */
@Injectable()
export class ReferralTimers {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async run(now: Date, settings: TimerSettings): Promise<TimerRun> {
    return {
      reminded: await this.once('reminder_sent', now, settings.reminderAfterMs, settings.urgentReminderAfterMs),
      escalated: await this.once('escalated', now, settings.escalateAfterMs, settings.urgentEscalateAfterMs),
      expired: await this.expire(now, settings.expireAfterMs, settings.urgentExpireAfterMs),
      autoClosed: await this.autoClose(now, settings.autoCloseAfterMs),
      progressDue: await this.progressDue(now),
      idempotencyKeysDeleted: await this.deleteExpiredIdempotencyKeys(now),
    };
  }

  /** Reminds the recipient of a maintenance plan's report period that ended without a progress report. */
  private async progressDue(now: Date): Promise<number> {
    return (await queryRows(this.db.manager, progressReportsDue(now))).length;
  }

  /** Stored answers hold PHI: none is kept past its lifetime (a batch per run, oldest first). */
  private async deleteExpiredIdempotencyKeys(now: Date): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `DELETE FROM idempotency_keys k
        USING (SELECT user_id, key FROM idempotency_keys WHERE created_at <= $1 ORDER BY created_at LIMIT ${BATCH}
                 FOR UPDATE SKIP LOCKED) old
        WHERE k.user_id = old.user_id AND k.key = old.key
        RETURNING 1`,
      [new Date(now.getTime() - IDEMPOTENCY_TTL_MS)],
    );
    return rows.length;
  }

  /** A one-off timeline event (reminder or escalation) for referrals still awaiting a decision. */
  private async once(type: 'reminder_sent' | 'escalated', now: Date, afterMs: number, urgentAfterMs: number): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `WITH due AS (
         SELECT r.id, r.status FROM referrals r
          WHERE r.status IN ('sent', 'received') AND ${RESPONSE_ELAPSED_MS} >= ${thresholdSql('$2', '$4')}
            AND NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.type = $3)
          LIMIT ${BATCH}
       ), events AS (
         INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id)
         SELECT id, $3, status, status, NULL FROM due
         ON CONFLICT (referral_id, type) WHERE type IN ('reminder_sent', 'escalated') DO NOTHING
         RETURNING id, referral_id, from_status
       )
       INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
       SELECT 'referral.' || $3, referral_id, id, jsonb_build_object('fromStatus', from_status, 'toStatus', from_status, 'actorId', NULL)
         FROM events
       RETURNING id`,
      [now, afterMs, type, urgentAfterMs],
    );
    return rows.length;
  }

  private async expire(now: Date, afterMs: number, urgentAfterMs: number): Promise<number> {
    return this.systemTransition(
      `r.status IN ('sent', 'received', 'info_requested') AND ${RESPONSE_ELAPSED_MS} >= ${thresholdSql('$4', '$5')}`,
      'expired',
      'expired',
      now,
      [afterMs, urgentAfterMs],
    );
  }

  private async autoClose(now: Date, afterMs: number): Promise<number> {
    return this.systemTransition(
      `r.status = 'outcome_sent' AND extract(epoch FROM $1::timestamptz - (r.outcome->>'sentAt')::timestamptz) * 1000 >= $4`,
      'closed',
      'auto_closed',
      now,
      [afterMs],
    );
  }

  /**
   * Moves due referrals to `to`, appending the event, outbox row and audit row in one statement.
   * `due` reads `now` as $1 and the thresholds as $4 onwards.
   */
  private async systemTransition(
    due: string,
    to: 'expired' | 'closed',
    event: string,
    now: Date,
    thresholdsMs: number[],
  ): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `WITH due AS (
         SELECT r.id, r.status FROM referrals r WHERE ${due} ORDER BY r.id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
       ), moved AS (
         UPDATE referrals r
            SET status = $2, version = r.version + 1, updated_at = now(), sla_paused_at = NULL,
                closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE r.closed_at END
           FROM due WHERE r.id = due.id
         RETURNING r.id, due.status AS from_status
       ), events AS (
         INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id)
         SELECT id, $3, from_status, $2, NULL FROM moved
         RETURNING id, referral_id, from_status
       ), audit AS (
         INSERT INTO audit_events (actor_id, clinic_id, action, resource_type, resource_id, outcome)
         SELECT NULL, NULL, 'referral.' || $3, 'referral', referral_id, 'success' FROM events
       )
       INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
       SELECT 'referral.' || $3, referral_id, id, jsonb_build_object('fromStatus', from_status, 'toStatus', $2::text, 'actorId', NULL)
         FROM events
       RETURNING id`,
      [now, to, event, ...thresholdsMs],
    );
    return rows.length;
  }
}
