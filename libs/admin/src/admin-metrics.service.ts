import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { REFERRAL_STATUSES, type ReferralStatus, responseElapsedMsSql } from '@referloop/referrals';
import { DataSource } from 'typeorm';
import type { AdminMetricsView, PractitionerMetricsView, ReferralMetricsView } from './admin.views';
import { AWAITING_DECISION, sqlList } from './response-sla';
import { resolveWindow, type TimeWindowInput } from './time-window';

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

interface GroupRow {
  side: 'clinic' | 'sent' | 'received';
  practitioner_id: string | null;
  total: number;
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

/** Column alias of a status count. */
const statusColumn = (status: string) => `n_${status}`;

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
@Injectable()
export class AdminMetricsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async metrics(principal: Principal, input: TimeWindowInput): Promise<AdminMetricsView> {
    const now = this.clock.now();
    const { from, to } = resolveWindow(input, now);
    const escalateAfterMs = this.config.timers.escalateAfterMs;
    const clinicId = principal.clinicId;

    const [rows, practitioners] = await Promise.all([
      this.db.query<GroupRow[]>(METRICS_SQL, [clinicId, from, to, now, escalateAfterMs]),
      this.db.query<{ id: string; full_name: string; role: string }[]>(
        `SELECT id, full_name, role FROM users WHERE clinic_id = $1 AND role <> 'clinic_admin' ORDER BY full_name, id`,
        [clinicId],
      ),
    ]);

    const groups = new Map(rows.map((r) => [`${r.side}:${r.practitioner_id ?? ''}`, r]));
    const metricsOf = (side: GroupRow['side'], practitionerId = '') => toMetrics(groups.get(`${side}:${practitionerId}`));
    const perPractitioner: PractitionerMetricsView[] = practitioners.map((p) => ({
      practitionerId: p.id,
      fullName: p.full_name,
      role: p.role,
      sent: metricsOf('sent', p.id),
      received: metricsOf('received', p.id),
    }));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      asOf: now.toISOString(),
      overdueAfterSeconds: escalateAfterMs / 1000,
      clinic: metricsOf('clinic'),
      sent: metricsOf('sent'),
      received: metricsOf('received'),
      practitioners: perPractitioner,
    };
  }
}

const OPEN = sqlList(AWAITING_DECISION);
const ACCEPTED_EVER = sqlList(ACCEPTED_AT_SOME_POINT);
/** The event types the durations read (the partial index referral_events_metrics_idx holds exactly these). */
const TIMED_EVENTS = ['sent', 'accepted', 'info_requested', 'info_provided', 'scheduled'];

const AGGREGATES = `count(*)::int AS total,
         ${REFERRAL_STATUSES.map((s) => `count(*) FILTER (WHERE f.status = '${s}')::int AS ${statusColumn(s)}`).join(',\n         ')},
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

/** $1 clinic, $2 from, $3 to, $4 now, $5 escalation threshold (ms). Exported for EXPLAIN in the benchmark. */
export const METRICS_SQL = `
  WITH scoped AS (
    SELECT r.id, r.status, r.sender_id, r.recipient_id, true AS as_sender,
           (r.recipient_clinic_id = $1 AND r.sent_at IS NOT NULL) AS as_recipient,
           r.sent_at, r.sla_paused_ms, r.sla_paused_at, r.pain_level, r.outcome
      FROM referrals r
     WHERE r.sender_clinic_id = $1 AND r.created_at >= $2 AND r.created_at < $3
    UNION ALL
    SELECT r.id, r.status, r.sender_id, r.recipient_id, false, true,
           r.sent_at, r.sla_paused_ms, r.sla_paused_at, r.pain_level, r.outcome
      FROM referrals r
     WHERE r.recipient_clinic_id = $1 AND r.sent_at IS NOT NULL AND r.sender_clinic_id <> $1
       AND r.created_at >= $2 AND r.created_at < $3
  ), facts AS (
    SELECT s.status, s.sender_id, s.recipient_id, s.as_sender, s.as_recipient,
           s.sent_at IS NOT NULL AND s.status NOT IN ('draft', ${OPEN}) AS decided,
           t.accepted_at IS NOT NULL AS accepted,
           s.status IN (${sqlList(LOOP_CLOSED)}) AS closed_loop,
           s.sent_at IS NOT NULL AND s.status IN (${sqlList(LEAKED)}) AS leaked,
           s.status IN (${OPEN}) AND ${responseElapsedMsSql('$4', 's')} >= $5 AS overdue,
           extract(epoch FROM t.accepted_at - t.sent_at) - t.paused_s AS accept_s,
           extract(epoch FROM t.scheduled_at - t.sent_at) AS schedule_s,
           -- Outcome pain minus pain at referral: negative is better; null unless both were given.
           (s.outcome ->> 'painLevel')::int - s.pain_level AS pain_change
      FROM scoped s
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
         WHERE e.referral_id = s.id AND s.status IN (${ACCEPTED_EVER})
           AND e.type IN (${sqlList(TIMED_EVENTS)})
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

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
/** Seconds to the millisecond (the timeline's precision that matters), or null without data. */
const seconds = (value: number | string | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);

function toMetrics(row: GroupRow | undefined): ReferralMetricsView {
  const byStatus = Object.fromEntries(
    REFERRAL_STATUSES.map((s) => [s, row ? Number(row[statusColumn(s) as `n_${string}`]) : 0]),
  ) as Record<ReferralStatus, number>;
  if (!row) {
    return {
      total: 0,
      byStatus,
      decided: 0,
      accepted: 0,
      closedLoop: 0,
      closedLoopRate: null,
      leakage: { count: 0, rate: null, declined: 0, expired: 0, cancelled: 0 },
      overdue: 0,
      medianTimeToAcceptSeconds: null,
      medianTimeToFirstAppointmentSeconds: null,
      medianPainChange: null,
    };
  }
  return {
    total: row.total,
    byStatus,
    decided: row.decided,
    accepted: row.accepted,
    closedLoop: row.closed_loop,
    closedLoopRate: ratio(row.closed_loop, row.decided),
    leakage: {
      count: row.leaked,
      rate: ratio(row.leaked, row.decided),
      declined: row.leaked_declined,
      expired: row.leaked_expired,
      cancelled: row.leaked_cancelled,
    },
    overdue: row.overdue,
    medianTimeToAcceptSeconds: seconds(row.median_accept_s),
    medianTimeToFirstAppointmentSeconds: seconds(row.median_schedule_s),
    medianPainChange: row.median_pain_change === null ? null : Number(row.median_pain_change),
  };
}
