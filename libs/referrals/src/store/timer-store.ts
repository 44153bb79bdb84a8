import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows, Sql, sql } from '@referloop/database';
import { AuditLog } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { AWAITING_DECISION_STATUSES, type SystemAction, SYSTEM_TRANSITIONS } from '../state-machine/referral-state-machine';
import { progressReportsDue } from './progress-store';
import { stampSets } from './referral-store';

/**
 * The milliseconds referral `alias` has been waiting for the recipient's decision at `now`: since
 * it was sent, minus the time spent paused (info_requested, including a pause still running). The
 * one definition of the response clock: timers and admin metrics both use it.
 */
export function responseElapsedMs(now: Sql, alias: Sql): Sql {
  return sql`(extract(epoch FROM ${now}::timestamptz - ${alias}.sent_at) * 1000
     - ${alias}.sla_paused_ms
     - COALESCE(extract(epoch FROM ${now}::timestamptz - ${alias}.sla_paused_at) * 1000, 0))`;
}

/** The response-clock threshold of referral `alias` by its priority: urgent referrals have their own. Timers and admin views both use it. */
export function responseThreshold(alias: Sql, routineMs: number, urgentMs: number): Sql {
  return sql`CASE WHEN ${alias}.priority = 'urgent' THEN ${sql.param(urgentMs, 'bigint')} ELSE ${sql.param(routineMs, 'bigint')} END`;
}

/**
 * Referral `r`'s response clock passed its threshold at `now`. The clock counts from `sent_at` and
 * pauses only hold it back, so a due referral was also sent at least the threshold ago: that range
 * (per priority, on referrals_response_clock_idx) keeps the sweep from reading every open referral.
 */
const responseClockPassed = (now: Date, routineMs: number, urgentMs: number) => {
  const sentBy = (ms: number) => sql.param(new Date(now.getTime() - ms), 'timestamptz');
  return sql`((r.priority = 'urgent' AND r.sent_at <= ${sentBy(urgentMs)}) OR (r.priority = 'routine' AND r.sent_at <= ${sentBy(routineMs)}))
            AND ${responseElapsedMs(sql.param(now, 'timestamptz'), sql`r`)} >= ${responseThreshold(sql`r`, routineMs, urgentMs)}`;
};

/** The statements of the referral timers: each one set-based, re-reading the current state. */
@Injectable()
export class ReferralTimerStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
  ) {}

  /**
   * A one-off timeline event (reminder or escalation) for referrals still awaiting a decision whose
   * response clock passed the threshold; the unique key makes it once per referral. Answers how many.
   * The lock skips a referral being decided at this moment (its decision holds the row): read
   * unlocked, a reminder of the status before an accept could land after the accept.
   */
  async once(
    type: 'reminder_sent' | 'escalated',
    now: Date,
    afterMs: number,
    urgentAfterMs: number,
    batch: number,
  ): Promise<number> {
    const rows = await queryRows(
      this.db.manager,
      sql`WITH due AS (
         SELECT r.id, r.status FROM referrals r
          WHERE r.status = ANY(${sql.param(AWAITING_DECISION_STATUSES, 'text[]')})
            AND ${responseClockPassed(now, afterMs, urgentAfterMs)}
            AND NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.type = ${sql.param(type, 'text')})
          LIMIT ${sql.param(batch, 'int')} FOR NO KEY UPDATE SKIP LOCKED
       ), event AS (
         INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id)
         SELECT id, ${sql.param(type, 'text')}, status, status, NULL FROM due
         ON CONFLICT (referral_id, type) WHERE type IN ('reminder_sent', 'escalated') DO NOTHING
         RETURNING id, referral_id, from_status
       )
       INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
       SELECT ${sql.param(`referral.${type}`, 'text')}, referral_id, id,
              jsonb_build_object('fromStatus', from_status, 'toStatus', from_status, 'actorId', NULL)
         FROM event
       RETURNING id`,
    );
    return rows.length;
  }

  /**
   * Takes the system transition `action` (read from the state machine: from, to, event, stamps and
   * its clock) for the due referrals, with the event, outbox and audit rows, in one statement.
   * `thresholds` are the routine and urgent milliseconds (the urgent one for the response clock only).
   */
  async systemTransition(
    action: SystemAction,
    now: Date,
    thresholds: { routineMs: number; urgentMs: number },
    batch: number,
  ): Promise<number> {
    const transition = SYSTEM_TRANSITIONS[action];
    const at = sql.param(now, 'timestamptz');
    const clock =
      transition.clock === 'response'
        ? responseClockPassed(now, thresholds.routineMs, thresholds.urgentMs)
        : sql`extract(epoch FROM ${at} - (r.outcome->>'sentAt')::timestamptz) * 1000 >= ${sql.param(thresholds.routineMs, 'bigint')}`;
    const to = sql.param(transition.to, 'text');
    const type = transition.event;
    const sets = [
      sql`status = ${to}`,
      sql`version = r.version + 1`,
      sql`updated_at = ${at}`,
      sql`sla_paused_at = NULL`,
      ...stampSets(transition.stamps, at),
    ];
    // No ORDER BY: to hand rows out in key order the planner walked the whole primary key (4 s at 1M
    // referrals) instead of the index range; SKIP LOCKED needs no order, and each batch re-reads.
    // NO KEY UPDATE, the lock the UPDATE itself takes: FOR UPDATE would also skip a referral whose
    // notifications or events are being inserted (their foreign keys hold a KEY SHARE lock on it).
    const rows = await queryRows(
      this.db.manager,
      sql`WITH due AS (
         SELECT r.id, r.status FROM referrals r
          WHERE r.status = ANY(${sql.param(transition.from, 'text[]')}) AND ${clock}
          LIMIT ${sql.param(batch, 'int')} FOR NO KEY UPDATE SKIP LOCKED
       ), moved AS (
         UPDATE referrals r SET ${sql.join(sets)}
           FROM due WHERE r.id = due.id
         RETURNING r.id, due.status AS from_status
       ), event AS (
         INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id)
         SELECT id, ${sql.param(type, 'text')}, from_status, ${to}, NULL FROM moved
         RETURNING id, referral_id, from_status
       ), audit AS (${this.audit.insert(
         { by: null, action: `referral.${type}`, resourceType: 'referral' },
         sql`event`,
         sql`referral_id`,
         now,
       )})
       INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
       SELECT ${sql.param(`referral.${type}`, 'text')}, referral_id, id,
              jsonb_build_object('fromStatus', from_status, 'toStatus', ${to}, 'actorId', NULL)
         FROM event
       RETURNING id`,
    );
    return rows.length;
  }

  /**
   * The "progress report due" reminders of maintenance plans with `reportEveryWeeks` whose latest
   * ended report period saw no report (once per referral and period). Answers how many.
   */
  async progressReportsDue(now: Date, batch: number): Promise<number> {
    return (await queryRows(this.db.manager, progressReportsDue(now, batch))).length;
  }

  /** Stored Idempotency-Key answers created at or before `cutoff`, deleted (a batch, oldest first). */
  async deleteIdempotencyKeys(cutoff: Date, batch: number): Promise<number> {
    const rows = await queryRows(
      this.db.manager,
      sql`DELETE FROM idempotency_keys k
        USING (SELECT user_id, key FROM idempotency_keys WHERE created_at <= ${sql.param(cutoff, 'timestamptz')}
                ORDER BY created_at LIMIT ${sql.param(batch, 'int')} FOR UPDATE SKIP LOCKED) old
        WHERE k.user_id = old.user_id AND k.key = old.key
        RETURNING 1`,
    );
    return rows.length;
  }
}
