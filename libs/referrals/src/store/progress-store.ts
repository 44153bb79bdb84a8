import { type Sql, sql } from '@referloop/database';
import type { ProgressInput } from '../progress/progress';

/**
 * Every SQL fragment on `referral_progress`, and the "progress report due" reminder's statement.
 *
 * A report is written by the `report-progress` action's one statement (`ReferralStore.applyAction`,
 * for a transition that `records: ['progress']`): {@link progressInsert} is a data-modifying CTE
 * named `progress` next to the statement's `event` CTE, so the report, its timeline event, the
 * outbox and the audit rows commit together or not at all.
 */

/**
 * `INSERT … SELECT` of one progress row per row of the statement's `event` CTE (the action's
 * `progress_reported` event). `reportedAt` comes from the injected clock.
 */
export function progressInsert(input: ProgressInput, reportedBy: string, reportedAt: Date): Sql {
  return sql`INSERT INTO referral_progress
               (referral_id, event_id, sessions_completed, pain_level, psfs, tolerance, note, reported_by, reported_at)
             SELECT e.referral_id, e.id, ${sql.param(input.sessionsCompleted, 'int')}, ${sql.param(input.painLevel ?? null, 'int')},
                    ${sql.param(input.psfs ?? null, 'numeric')}, ${sql.param(input.tolerance, 'text')},
                    ${sql.param(input.note?.trim() || null, 'text')}, ${sql.param(reportedBy, 'uuid')},
                    ${sql.param(reportedAt, 'timestamptz')}
               FROM event e
             RETURNING *`;
}

const PROGRESS_COLUMNS = sql`referral_id, sessions_completed, pain_level, psfs, tolerance, note, reported_by, reported_at, id`;

/**
 * The `progress[]` of the referral `r` as a JSON array, oldest first, already in the API's shape.
 * `pending` names a CTE of progress rows the same statement inserted, which its snapshot does not
 * show yet.
 */
export function progressJson(pending?: Sql): Sql {
  const more = pending ? sql` UNION ALL SELECT ${PROGRESS_COLUMNS} FROM ${pending} WHERE referral_id = r.id` : sql.empty;
  return sql`(SELECT coalesce(json_agg(json_build_object(
             'sessionsCompleted', g.sessions_completed, 'painLevel', g.pain_level, 'psfs', g.psfs, 'tolerance', g.tolerance,
             'note', g.note, 'reportedAt', to_char(g.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'reportedBy', json_build_object('id', u.id, 'fullName', u.full_name)
           ) ORDER BY g.reported_at, g.id), '[]')
      FROM (SELECT ${PROGRESS_COLUMNS} FROM referral_progress WHERE referral_id = r.id${more}) g
      JOIN users u ON u.id = g.reported_by)`;
}

/**
 * The "progress report due" reminders at `now`: for each maintenance referral whose plan has
 * `reportEveryWeeks` and that is in care (accepted, scheduled, in_care), the report periods run
 * back to back from its acceptance; when the latest period that has ended saw no progress report,
 * one `progress_report_due` event (data: the period's number, start and end) and its outbox row are
 * written. A unique key on (referral, period) makes a re-run, or a second worker, write nothing again.
 * At most `batch` referrals per statement (the timers repeat it until a batch writes nothing).
 */
export function progressReportsDue(now: Date, batch: number): Sql {
  const at = sql.param(now, 'timestamptz');
  return sql`WITH plans AS (
       SELECT r.id, r.status, r.responded_at AS start, make_interval(weeks => (r.plan->>'reportEveryWeeks')::int) AS every
         FROM referrals r
        WHERE r.kind = 'maintenance_massage' AND r.status IN ('accepted', 'scheduled', 'in_care')
          AND r.responded_at IS NOT NULL AND (r.plan->>'reportEveryWeeks')::int > 0
     ), ended AS (
       SELECT p.id, p.status, k.period, p.start + (k.period - 1) * p.every AS period_start, p.start + k.period * p.every AS period_end
         FROM plans p
        CROSS JOIN LATERAL (
          SELECT floor(extract(epoch FROM ${at} - p.start) / extract(epoch FROM p.every))::int AS period) k
        WHERE k.period >= 1
     ), unreminded AS (
       SELECT d.* FROM ended d
        WHERE NOT EXISTS (SELECT 1 FROM referral_progress g
                           WHERE g.referral_id = d.id AND g.reported_at >= d.period_start AND g.reported_at < d.period_end)
          AND NOT EXISTS (SELECT 1 FROM referral_events e
                           WHERE e.referral_id = d.id AND e.type = 'progress_report_due' AND (e.data->>'period')::int = d.period)
        ORDER BY d.id
        LIMIT ${sql.param(batch, 'int')}
     ), due AS (
       -- Skips a referral an action holds at this moment (a progress report, the outcome being sent):
       -- read unlocked, a reminder could land after the report or once the referral left care.
       SELECT u.id, r.status, u.period, u.period_start, u.period_end
         FROM unreminded u JOIN referrals r ON r.id = u.id
        WHERE r.status IN ('accepted', 'scheduled', 'in_care')
          FOR NO KEY UPDATE OF r SKIP LOCKED
     ), events AS (
       INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, data)
       SELECT id, 'progress_report_due', status, status, NULL,
              jsonb_build_object('period', period,
                                 'periodStart', to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                 'periodEnd', to_char(period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
         FROM due
       ON CONFLICT (referral_id, ((data->>'period')::int)) WHERE type = 'progress_report_due' DO NOTHING
       RETURNING id, referral_id, from_status
     )
     INSERT INTO outbox_events (type, referral_id, referral_event_id, payload)
     SELECT 'referral.progress_report_due', referral_id, id,
            jsonb_build_object('fromStatus', from_status, 'toStatus', from_status, 'actorId', NULL)
       FROM events
     RETURNING id`;
}
