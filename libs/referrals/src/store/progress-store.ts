import { cursorTimestamp, type Sql, sql } from '@referloop/database';
import type { ProgressInput, ProgressView } from '../progress/progress';

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
 * How many of a referral's latest progress reports its detailed view embeds. A report's note runs
 * to 10,000 characters and nothing bounds how many reports a referral gets: embedding them all let
 * one party make every read of the referral as large as it liked, as the timeline did.
 * `GET /referrals/:id/progress` pages through them all.
 */
export const PROGRESS_WINDOW = 100;

/**
 * How many of the latest progress reports the outcome report PDF prints. A PDF is laid out on the
 * API's one thread: 1,000 reports with 10,000-character notes took 13 s of it and 205 MB of heap
 * (past the deployed heap limit), 100 took 1.8 s. The PDF says how many earlier ones it leaves out.
 */
export const LETTER_PROGRESS_REPORTS = 50;

/** One progress report `g` (its PROGRESS_COLUMNS) with its reporter `u`, in the API's shape. */
export const PROGRESS_JSON = sql`json_build_object(
             'id', g.id, 'sessionsCompleted', g.sessions_completed, 'painLevel', g.pain_level, 'psfs', g.psfs, 'tolerance', g.tolerance,
             'note', g.note, 'reportedAt', to_char(g.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'reportedBy', json_build_object('id', u.id, 'fullName', u.full_name))`;

/**
 * The progress reports of the referral `r` as a JSON array, oldest first, already in the API's
 * shape: every one (a letter prints them all), or the latest `latest`. `pending` names a CTE of
 * progress rows the same statement inserted, which its snapshot does not show yet.
 */
export function progressJson(options: { pending?: Sql; latest?: number } = {}): Sql {
  const more = options.pending
    ? sql` UNION ALL SELECT ${PROGRESS_COLUMNS} FROM ${options.pending} WHERE referral_id = r.id`
    : sql.empty;
  const latest = options.latest === undefined ? sql.empty : sql` ORDER BY reported_at DESC, id DESC LIMIT ${options.latest}`;
  return sql`(SELECT coalesce(json_agg(${PROGRESS_JSON} ORDER BY g.reported_at, g.id), '[]')
      FROM (SELECT * FROM (SELECT ${PROGRESS_COLUMNS} FROM referral_progress WHERE referral_id = r.id${more}) reports${latest}) g
      JOIN users u ON u.id = g.reported_by)`;
}

/** A row of {@link progressPage}: the report and its keyset position. */
export interface ProgressPageRow {
  report: ProgressView;
  cursorTs: string;
}

/** Up to `limit` + 1 progress reports of the referral `id` after `after`, oldest first (keyset on reported_at, id). */
export function progressPage(id: string, after: { ts: string; id: string } | undefined, limit: number): Sql {
  const keyset = after
    ? sql` AND (g.reported_at, g.id) > (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`
    : sql.empty;
  return sql`SELECT ${PROGRESS_JSON} AS report, ${cursorTimestamp(sql`g.reported_at`)} AS "cursorTs"
       FROM referral_progress g JOIN users u ON u.id = g.reported_by
      WHERE g.referral_id = ${sql.param(id, 'uuid')}${keyset}
      ORDER BY g.reported_at, g.id LIMIT ${sql.param(limit + 1, 'int')}`;
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
