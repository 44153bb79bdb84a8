import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuditAction } from '@referloop/common';
import { cursorTimestamp, queryRows, Sql, sql } from '@referloop/database';
import type { ClinicScope } from '@referloop/identity';
import {
  AWAITING_DECISION_STATUSES,
  CLOCK_PAUSED_STATUSES,
  REFERRAL_STATUSES,
  type ReferralStatus,
  responseElapsedMs,
  responseThreshold,
} from '@referloop/referrals';
import { DataSource } from 'typeorm';

/**
 * The admin's read side over a clinic's referrals and audit trail. Every statement takes the
 * caller's {@link ClinicScope}: a clinic sees the referrals it sent or received and its own audit
 * events (plus those other clinics wrote about referrals it is party to). Nothing here writes.
 */

/** Statuses a referral may be in once accepted (`cancelled` also without an acceptance: the timeline tells). */
const ACCEPTED_AT_SOME_POINT: readonly ReferralStatus[] = [
  'accepted',
  'scheduled',
  'in_care',
  'outcome_sent',
  'closed',
  'cancel_requested',
  'cancelled',
];
const LEAKED: readonly ReferralStatus[] = ['declined', 'expired', 'cancelled'];
const LOOP_CLOSED: readonly ReferralStatus[] = ['outcome_sent', 'closed'];
/** The event types the durations read (the partial index referral_events_metrics_idx holds exactly these). */
const TIMED_EVENTS = ['sent', 'accepted', 'info_requested', 'info_provided', 'scheduled'];
/** Sent and not decided yet: awaiting the recipient, or the sender's answer to an info request. */
const UNDECIDED = sql.constants([...AWAITING_DECISION_STATUSES, ...CLOCK_PAUSED_STATUSES]);
/**
 * The recipient's turn, where the response clock runs and a referral can be overdue: not while the
 * sender owes information (the clock is paused; the referral would count as overdue for good).
 */
const AWAITING_RECIPIENT = sql.constants(AWAITING_DECISION_STATUSES);

/** Column alias of a status count. */
export const statusColumn = (status: string) => `n_${status}`;

export interface MetricsGroupRow {
  side: 'clinic' | 'sent' | 'received';
  practitioner_id: string | null;
  total: number;
  sent_count: number;
  decided: number;
  accepted: number;
  closed_loop: number;
  leaked: number;
  leaked_declined: number;
  leaked_expired: number;
  leaked_cancelled: number;
  overdue: number;
  median_accept_s: number | null;
  median_schedule_s: number | null;
  median_pain_change: number | null;
  [status: `n_${string}`]: number;
}

const AGGREGATES = sql`count(*)::int AS total,
         count(*) FILTER (WHERE f.was_sent)::int AS sent_count,
         ${Sql.from([REFERRAL_STATUSES.map((s) => `count(*) FILTER (WHERE f.status = '${s}')::int AS ${statusColumn(s)}`).join(',\n         ')], [])},
         count(*) FILTER (WHERE f.decided)::int AS decided,
         count(*) FILTER (WHERE f.accepted)::int AS accepted,
         count(*) FILTER (WHERE f.closed_loop)::int AS closed_loop,
         count(*) FILTER (WHERE f.leaked)::int AS leaked,
         count(*) FILTER (WHERE f.leaked AND f.status = 'declined')::int AS leaked_declined,
         count(*) FILTER (WHERE f.leaked AND f.status = 'expired')::int AS leaked_expired,
         count(*) FILTER (WHERE f.leaked AND f.status = 'cancelled')::int AS leaked_cancelled,
         count(*) FILTER (WHERE f.overdue)::int AS overdue,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY f.accept_s) AS median_accept_s,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY f.schedule_s) AS median_schedule_s,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY f.pain_change) AS median_pain_change`;

export interface MetricsWindow {
  from: Date;
  to: Date;
  now: Date;
  /** Overdue from the escalation threshold of the referral's priority (urgent referrals have their own, shorter one). */
  escalateAfterMs: number;
  urgentEscalateAfterMs: number;
}

/**
 * Clinic metrics over referrals created in [from, to) that involve the clinic: as sender clinic
 * (drafts included: they are the clinic's own) or as recipient clinic (only referrals that were
 * sent: a draft, even one cancelled before sending, is invisible to the recipient side). One statement:
 *
 * 1. `scoped`: both sides as two index-only range scans of (clinic, created_at); the recipient
 *    branch skips referrals the sender branch already has (a referral within the clinic).
 * 2. `facts`: per referral the flags (decided, leaked, overdue…) and, only for referrals that were
 *    accepted at some point, the durations from the timeline: one lateral probe of the partial
 *    covering index on referral_events (referral_id, type, occurred_at).
 * 3. Aggregated per group: the whole clinic, each side, and each practitioner on each side.
 */
export function metricsSql(scope: ClinicScope, window: MetricsWindow): Sql {
  const from = sql.param(window.from, 'timestamptz');
  const to = sql.param(window.to, 'timestamptz');
  return sql`
  WITH args AS MATERIALIZED (SELECT ${sql.param(window.now, 'timestamptz')} AS now), scoped AS (
    SELECT r.id, r.status, r.sender_id, r.recipient_id, true AS as_sender,
           (${scope.owns(sql`r.recipient_clinic_id`)} AND r.sent_at IS NOT NULL) AS as_recipient,
           r.sent_at, r.sla_paused_ms, r.sla_paused_at, r.pain_level, r.outcome, r.priority
      FROM referrals r
     WHERE ${scope.owns(sql`r.sender_clinic_id`)} AND r.created_at >= ${from} AND r.created_at < ${to}
    UNION ALL
    SELECT r.id, r.status, r.sender_id, r.recipient_id, false, true,
           r.sent_at, r.sla_paused_ms, r.sla_paused_at, r.pain_level, r.outcome, r.priority
      FROM referrals r
     WHERE ${scope.owns(sql`r.recipient_clinic_id`)} AND r.sent_at IS NOT NULL AND NOT ${scope.owns(sql`r.sender_clinic_id`)}
       AND r.created_at >= ${from} AND r.created_at < ${to}
  ), facts AS (
    SELECT s.status, s.sender_id, s.recipient_id, s.as_sender, s.as_recipient,
           s.sent_at IS NOT NULL AS was_sent,
           s.sent_at IS NOT NULL AND s.status NOT IN ('draft', ${UNDECIDED}) AS decided,
           t.accepted_at IS NOT NULL AS accepted,
           s.status IN (${sql.constants(LOOP_CLOSED)}) AS closed_loop,
           s.sent_at IS NOT NULL AND s.status IN (${sql.constants(LEAKED)}) AS leaked,
           s.status IN (${AWAITING_RECIPIENT})
             AND ${responseElapsedMs(sql`args.now`, sql`s`)} >= ${responseThreshold(sql`s`, window.escalateAfterMs, window.urgentEscalateAfterMs)} AS overdue,
           extract(epoch FROM t.accepted_at - t.sent_at) - t.paused_s AS accept_s,
           extract(epoch FROM t.scheduled_at - t.sent_at) AS schedule_s,
           -- Outcome pain minus pain at referral: negative is better; null unless both were given.
           (s.outcome ->> 'painLevel')::int - s.pain_level AS pain_change
      FROM scoped s
      CROSS JOIN args
      LEFT JOIN LATERAL (
        -- Only referrals accepted at some point have these durations (the one-time filter skips
        -- the probe for the others). Every info request before the acceptance was answered
        -- (accept is not possible from info_requested), so the time paused is the sum of the
        -- answers' times minus the sum of the requests' times.
        SELECT min(e.occurred_at) FILTER (WHERE e.type = 'sent') AS sent_at,
               min(e.occurred_at) FILTER (WHERE e.type = 'accepted') AS accepted_at,
               COALESCE(sum(extract(epoch FROM e.occurred_at)) FILTER (WHERE e.type = 'info_provided'), 0)
                 - COALESCE(sum(extract(epoch FROM e.occurred_at)) FILTER (WHERE e.type = 'info_requested'), 0) AS paused_s,
               min(e.occurred_at) FILTER (WHERE e.type = 'scheduled') AS scheduled_at
          FROM referral_events e
         WHERE e.referral_id = s.id AND s.status IN (${sql.constants(ACCEPTED_AT_SOME_POINT)})
           AND e.type IN (${sql.constants(TIMED_EVENTS)})
      ) t ON true
  )
  SELECT 'clinic' AS side, NULL::uuid AS practitioner_id, ${AGGREGATES}
    FROM facts f
  UNION ALL
  -- Each side, and each practitioner on it, in one sort (a rollup).
  SELECT g.side, g.practitioner_id, ${AGGREGATES}
    FROM facts f
    CROSS JOIN LATERAL (VALUES ('sent', f.sender_id, f.as_sender), ('received', f.recipient_id, f.as_recipient)) g(side, practitioner_id, included)
   WHERE g.included
   GROUP BY ROLLUP (g.side, g.practitioner_id)
  HAVING GROUPING(g.side) = 0`;
}

export interface OverdueRow {
  id: string;
  elapsed_ms: string;
  kind: string;
  status: ReferralStatus;
  priority: string;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  created_at: Date;
  sent_at: Date;
  s_name: string;
  s_clinic_name: string;
  t_name: string | null;
  t_clinic_name: string | null;
}

export interface OverdueFilter {
  box?: 'sent' | 'received';
  asOf: Date;
  /** Listed from the reminder threshold of the referral's priority. */
  reminderAfterMs: number;
  urgentReminderAfterMs: number;
  after?: { elapsedMs: number; id: string };
  limit: number;
}

export interface AuditRow {
  /** The sequence, for the keyset cursor only. */
  id: string;
  uid: string;
  occurred_at: Date;
  actor_id: string | null;
  /** The actor's name now (null for the system, or an attempt by no known user). */
  actor_name: string | null;
  clinic_id: string | null;
  clinic_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown> | null;
  cursor_ts: string;
}

export interface AuditFilter {
  actorId?: string;
  action?: AuditAction;
  /** Any of these actions (the events of a kind filed under another resource). */
  actions?: readonly AuditAction[];
  resourceType?: string;
  resourceId?: string;
  from?: Date;
  to?: Date;
  after?: { occurredAt: string; id: string };
  limit: number;
}

@Injectable()
export class AdminStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async metrics(scope: ClinicScope, window: MetricsWindow): Promise<MetricsGroupRow[]> {
    return queryRows<MetricsGroupRow>(this.db.manager, metricsSql(scope, window));
  }

  /**
   * Open referrals of the caller's clinic (either side) whose response clock at `asOf` has passed
   * `reminderAfterMs`, most overdue first, keyset (elapsed, id). The page is cut from the open
   * referrals alone (small partial indexes); only its rows are joined.
   */
  async overdue(scope: ClinicScope, filter: OverdueFilter): Promise<OverdueRow[]> {
    const elapsed = sql`floor(${responseElapsedMs(sql`args.now`, sql`r`)})::bigint`;
    const branches: Sql[] = [];
    if (filter.box !== 'received') {
      branches.push(
        sql`SELECT r.id, ${elapsed} AS elapsed_ms, r.priority FROM referrals r CROSS JOIN args
             WHERE ${scope.owns(sql`r.sender_clinic_id`)} AND r.status IN (${AWAITING_RECIPIENT})`,
      );
    }
    if (filter.box !== 'sent') {
      // Referrals within the clinic come from the first branch unless only the received side is asked for.
      const notBoth = filter.box === 'received' ? sql.empty : sql`AND NOT ${scope.owns(sql`r.sender_clinic_id`)}`;
      branches.push(
        sql`SELECT r.id, ${elapsed} AS elapsed_ms, r.priority FROM referrals r CROSS JOIN args
             WHERE ${scope.owns(sql`r.recipient_clinic_id`)} AND r.status IN (${AWAITING_RECIPIENT}) ${notBoth}`,
      );
    }
    const keyset = filter.after
      ? sql`AND (o.elapsed_ms, o.id) < (${sql.param(filter.after.elapsedMs, 'bigint')}, ${sql.param(filter.after.id, 'uuid')})`
      : sql.empty;
    return queryRows<OverdueRow>(
      this.db.manager,
      sql`WITH args AS MATERIALIZED (SELECT ${sql.param(filter.asOf, 'timestamptz')} AS now)
          SELECT page.id, page.elapsed_ms::text AS elapsed_ms, r.kind, r.status, r.priority, r.patient_id, r.sender_id,
                 r.sender_clinic_id, r.recipient_id, r.recipient_clinic_id, r.created_at, r.sent_at,
                 s.full_name AS s_name, sc.name AS s_clinic_name, t.full_name AS t_name, tc.name AS t_clinic_name
            FROM (SELECT o.id, o.elapsed_ms
                    FROM (${sql.join(branches, sql` UNION ALL `)}) o
                   WHERE o.elapsed_ms >= ${responseThreshold(sql`o`, filter.reminderAfterMs, filter.urgentReminderAfterMs)} ${keyset}
                   ORDER BY o.elapsed_ms DESC, o.id DESC
                   LIMIT ${filter.limit}) page
            JOIN referrals r ON r.id = page.id
            JOIN users s ON s.id = r.sender_id
            JOIN clinics sc ON sc.id = r.sender_clinic_id
            LEFT JOIN users t ON t.id = r.recipient_id
            LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
           ORDER BY page.elapsed_ms DESC, page.id DESC`,
    );
  }

  /**
   * The caller's clinic's audit trail, newest first, keyset (occurred_at, id): the events whose
   * actor acted for the clinic, and (cross-clinic, by name) the events of other clinics' users about
   * referrals this clinic is party to, without those actors' IP, and for a list read only this
   * clinic's ids.
   */
  async auditEvents(scope: ClinicScope, filter: AuditFilter): Promise<AuditRow[]> {
    // Each branch filters on its own rows' columns: a party row carries its event's actor, action and
    // resource type, so a filter is a range of one of its indexes, not a join to every event to test it.
    const conditions = (row: Sql): Sql[] => [
      ...(filter.actorId ? [sql`${row}.actor_id = ${sql.param(filter.actorId, 'uuid')}`] : []),
      ...(filter.action ? [sql`${row}.action = ${filter.action}`] : []),
      ...(filter.actions ? [sql`${row}.action = ANY(${sql.param(filter.actions, 'text[]')})`] : []),
      ...(filter.resourceType ? [sql`${row}.resource_type = ${filter.resourceType}`] : []),
      // By the event's resource index (audit_events_resource_idx) in both branches.
      ...(filter.resourceId ? [sql`a.resource_id = ${sql.param(filter.resourceId, 'uuid')}`] : []),
    ];
    // The window bounds each branch's own sort column (a party row's occurred_at is its event's), so
    // a window in the past is a range of the branch's index, not a walk down from the newest row.
    const window = (occurredAt: Sql) => [
      ...(filter.from ? [sql`${occurredAt} >= ${sql.param(filter.from, 'timestamptz')}`] : []),
      ...(filter.to ? [sql`${occurredAt} < ${sql.param(filter.to, 'timestamptz')}`] : []),
    ];
    const after = filter.after;
    const keyset = (occurredAt: Sql, id: Sql) =>
      after
        ? sql`(${occurredAt}, ${id}) < (${sql.param(after.occurredAt, 'timestamptz')}, ${sql.param(after.id, 'bigint')})`
        : sql`true`;
    const where = (row: Sql, ...own: Sql[]) => sql.join([...own, ...conditions(row)], sql` AND `);
    const limit = filter.limit;
    return queryRows<AuditRow>(
      this.db.manager,
      sql`SELECT id::text AS id, uid, occurred_at, actor_id, clinic_id, action, resource_type, resource_id, outcome, ip, request_id, details,
                 (SELECT u.full_name FROM users u WHERE u.id = page.actor_id) AS actor_name,
                 (SELECT c.name FROM clinics c WHERE c.id = page.clinic_id) AS clinic_name,
                 ${cursorTimestamp(sql`occurred_at`)} AS cursor_ts
            FROM ((SELECT a.id, a.uid, a.occurred_at, a.actor_id, a.clinic_id, a.action, a.resource_type, a.resource_id, a.outcome, a.ip,
                          a.request_id, a.details
                     FROM audit_events a
                    WHERE ${where(sql`a`, scope.owns(sql`a.clinic_id`), ...window(sql`a.occurred_at`), keyset(sql`a.occurred_at`, sql`a.id`))}
                    ORDER BY a.occurred_at DESC, a.id DESC LIMIT ${limit})
                  UNION ALL
                  (SELECT a.id, a.uid, a.occurred_at, a.actor_id, a.clinic_id, a.action, a.resource_type, a.resource_id, a.outcome, NULL,
                          a.request_id, CASE WHEN x.resource_ids IS NULL THEN a.details
                                             ELSE a.details || jsonb_build_object('ids', to_jsonb(x.resource_ids),
                                                                                  'count', cardinality(x.resource_ids)) END
                     FROM audit_event_clinics x JOIN audit_events a ON a.id = x.audit_event_id
                    WHERE ${where(sql`x`, scope.owns(sql`x.clinic_id`), ...window(sql`x.occurred_at`), keyset(sql`x.occurred_at`, sql`x.audit_event_id`))}
                    ORDER BY x.occurred_at DESC, x.audit_event_id DESC LIMIT ${limit})) page
           -- page.id, the bigint the keyset compares: a bare id would be the text output column,
           -- which orders 99 after 100 and so repeats and skips rows that share a millisecond.
           ORDER BY page.occurred_at DESC, page.id DESC
           LIMIT ${limit}`,
    );
  }
}
