import type { MaintenancePlan, ReferralOutcome } from './entities/referral.entity';
import { maintenancePlanView } from './maintenance-plan';
import { partiesOfRow } from './referral-access';
import type { Principal } from '@referloop/common';
import { types } from 'pg';
import type { AttachmentView, PatientSummary, ReferralEventView, ReferralView } from './referral.views';
import { allowedActions, type ReferralStatus } from './state-machine/referral-state-machine';

/** A follow-up referral, as much as {@link partiesOfRow} needs to decide whether the caller may see it. */
interface FollowUpJson {
  id: string;
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string;
  recipient_clinic_id: string;
  sent_at: string | null;
}

/** A referral row joined with what its view shows: patient summary and both parties. */
export interface ReferralRow {
  id: string;
  kind: string;
  status: ReferralStatus;
  version: number;
  patient_id: string;
  sender_id: string;
  sender_clinic_id: string;
  /** Null while the recipient is a pending invite (see `recipient_invite_id`). */
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  recipient_invite_id: string | null;
  priority: string;
  reason: string;
  body_regions: string[];
  observations: string | null;
  pain_level: number | null;
  onset_date: string | null;
  needed_by: string | null;
  red_flags: string[];
  emergency_advice_given: boolean;
  plan: Partial<MaintenancePlan> | null;
  replaces_id: string | null;
  previous_id: string | null;
  /** The referrals following this one up, with the facts that say who may see them. */
  follow_ups: FollowUpJson[];
  /** Timestamps as the view shows them: ISO 8601 in UTC with milliseconds (see {@link isoUtc}). */
  appointment_at: string | null;
  outcome: Partial<ReferralOutcome> | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
  /** updated_at with microseconds, for keyset cursors (a JS Date keeps only milliseconds). */
  cursor_ts: string;
  p_first_name: string;
  p_last_name: string;
  p_dob: string;
  p_email: string | null;
  p_phone: string | null;
  p_contact: string;
  s_name: string;
  s_role: string;
  s_clinic_name: string;
  t_name: string | null;
  t_role: string | null;
  t_clinic_name: string | null;
  t_clinic_timezone: string | null;
  /** The invite of a recipient not on ReferLoop (null columns for a referral to a directory practitioner). */
  i_email: string | null;
  i_name: string | null;
  i_role: string | null;
  i_joined: boolean | null;
  i_token_version: number | null;
  /** Only from {@link referralListSelect}. */
  unread_count?: number;
  /** Only from {@link detailedReferralViewSql}. */
  timeline?: EventJson[];
  attachments?: AttachmentJson[];
}

/**
 * A timestamptz as `Date#toISOString()` writes it (UTC, milliseconds truncated as a JS Date keeps
 * them), formatted by PostgreSQL: parsing four dates per row into Date objects only to format them
 * again was a large share of a list page's CPU in the API.
 */
const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** SELECT list and joins for {@link ReferralRow} over `source` r (the table, or a CTE of changed rows). */
function viewSelect(source: string, extraColumns = ''): string {
  return `
  SELECT r.id, r.kind, r.status, r.version, r.patient_id, r.sender_id, r.sender_clinic_id, r.recipient_id,
         r.recipient_clinic_id, r.recipient_invite_id, r.priority, r.reason, r.body_regions, r.observations, r.pain_level,
         r.onset_date::text AS onset_date, r.needed_by::text AS needed_by, r.red_flags, r.emergency_advice_given, r.plan, r.replaces_id, r.previous_id,
         (SELECT coalesce(json_agg(json_build_object('id', f.id, 'sender_id', f.sender_id, 'sender_clinic_id', f.sender_clinic_id,
                   'recipient_id', f.recipient_id, 'recipient_clinic_id', f.recipient_clinic_id, 'sent_at', f.sent_at)
                   ORDER BY f.created_at, f.id), '[]')
            FROM referrals f WHERE f.previous_id = r.id) AS follow_ups,
         ${isoUtc('r.appointment_at')} AS appointment_at, r.outcome, ${isoUtc('r.sent_at')} AS sent_at,
         ${isoUtc('r.created_at')} AS created_at, ${isoUtc('r.updated_at')} AS updated_at,
         to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts,
         p.first_name AS p_first_name, p.last_name AS p_last_name, p.date_of_birth::text AS p_dob,
         p.email AS p_email, p.phone AS p_phone, p.preferred_contact AS p_contact,
         s.full_name AS s_name, s.role AS s_role, sc.name AS s_clinic_name,
         t.full_name AS t_name, t.role AS t_role, tc.name AS t_clinic_name, tc.timezone AS t_clinic_timezone,
         ri.email AS i_email, ri.full_name AS i_name, ri.role AS i_role, ri.joined_at IS NOT NULL AS i_joined,
         ri.token_version AS i_token_version${extraColumns}
    FROM ${source} r
    JOIN patients p ON p.id = r.patient_id
    JOIN users s ON s.id = r.sender_id
    JOIN clinics sc ON sc.id = r.sender_clinic_id
    LEFT JOIN users t ON t.id = r.recipient_id
    LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
    LEFT JOIN referral_invites ri ON ri.id = r.recipient_invite_id`;
}

/** SELECT list and joins for {@link ReferralRow}; callers add WHERE / ORDER BY. */
export const REFERRAL_VIEW_SELECT = viewSelect('referrals');

/**
 * {@link REFERRAL_VIEW_SELECT} with `unread_count` for the user `userParam` (a uuid placeholder): the
 * timeline events (messages included) by someone else since the referral was sent and since the
 * user's read marker. One indexed count per row of the page.
 */
export function referralListSelect(userParam: string): string {
  return viewSelect(
    'referrals',
    `,
         (SELECT count(*)::int FROM referral_events e
           WHERE e.referral_id = r.id AND e.actor_id IS DISTINCT FROM ${userParam}
             AND e.occurred_at > GREATEST(r.sent_at,
                   (SELECT m.read_at FROM referral_reads m WHERE m.user_id = ${userParam} AND m.referral_id = r.id))) AS unread_count`,
  );
}

const EVENT_COLUMNS = 'id, referral_id, type, from_status, to_status, actor_id, reason, note, data, occurred_at';

/**
 * The timeline of the referral `referralId` (an SQL expression) as a JSON array, oldest first.
 * `pendingEvents` names a CTE of events inserted by the same statement, which its snapshot does
 * not show yet. Timestamps are PostgreSQL's own text, parsed by pg's parser (see below), so they
 * come out exactly as from a plain timestamptz column.
 */
export function timelineJsonSql(referralId: string, pendingEvents?: string): string {
  const pending = pendingEvents
    ? ` UNION ALL SELECT ${EVENT_COLUMNS} FROM ${pendingEvents} WHERE referral_id = ${referralId}`
    : '';
  return `(SELECT coalesce(json_agg(json_build_object(
             'id', e.id, 'referralId', e.referral_id, 'type', e.type, 'fromStatus', e.from_status, 'toStatus', e.to_status,
             'actorId', e.actor_id, 'reason', e.reason, 'note', e.note, 'data', e.data, 'occurredAt', e.occurred_at::text
           ) ORDER BY e.occurred_at, e.id), '[]')
      FROM (SELECT ${EVENT_COLUMNS} FROM referral_events WHERE referral_id = ${referralId}${pending}) e)`;
}

const ATTACHMENTS_JSON = `(SELECT coalesce(json_agg(json_build_object(
             'id', a.id, 'referralId', a.referral_id, 'fileName', a.file_name, 'contentType', a.content_type,
             'sizeBytes', a.size_bytes, 'sha256', a.sha256, 'uploadedBy', a.uploaded_by, 'createdAt', a.created_at::text,
             'addedAfterSend', r.sent_at IS NOT NULL AND a.created_at > r.sent_at
           ) ORDER BY a.created_at, a.id), '[]')
      FROM referral_attachments a WHERE a.referral_id = r.id)`;

/**
 * {@link REFERRAL_VIEW_SELECT} with the timeline and the attachments, one query for the whole
 * `GET /referrals/:id` shape. Over a CTE of changed rows (`source`), `pendingEvents` adds the
 * events the same statement inserted.
 */
export function detailedReferralViewSql(source = 'referrals', pendingEvents?: string): string {
  return viewSelect(
    source,
    `,\n         ${timelineJsonSql('r.id', pendingEvents)} AS timeline,\n         ${ATTACHMENTS_JSON} AS attachments`,
  );
}

/** A timeline event or attachment as the JSON above builds it: the view's shape, timestamps as PostgreSQL text. */
type EventJson = Omit<ReferralEventView, 'occurredAt'> & { occurredAt: string };
export type TimelineJson = EventJson[];
type AttachmentJson = Omit<AttachmentView, 'createdAt'> & { createdAt: string };

const parseTimestamptz = types.getTypeParser(types.builtins.TIMESTAMPTZ) as (text: string) => Date;
const isoTimestamp = (pgText: string): string => parseTimestamptz(pgText).toISOString();

export function timelineView(events: TimelineJson): ReferralEventView[] {
  return events.map((e) => ({ ...e, occurredAt: isoTimestamp(e.occurredAt) }));
}

/** Outcomes stored before the measures existed read with empty measures. */
function outcomeView(stored: Partial<ReferralOutcome> | null): ReferralOutcome | null {
  if (!stored) return null;
  return {
    summary: stored.summary ?? '',
    recommendations: stored.recommendations ?? null,
    painLevel: stored.painLevel ?? null,
    psfs: stored.psfs ?? null,
    visits: stored.visits ?? null,
    recommendMaintenance: stored.recommendMaintenance ?? false,
    sentAt: stored.sentAt ?? '',
  };
}

/** Builds the join link of a pending invite (its id and current token version); the sender's side sees it. */
export type InviteLink = (inviteId: string, tokenVersion: number) => string;

export function referralView(row: ReferralRow, principal: Principal, inviteLink: InviteLink): ReferralView {
  const patient: PatientSummary = {
    id: row.patient_id,
    firstName: row.p_first_name,
    lastName: row.p_last_name,
    dateOfBirth: row.p_dob,
    email: row.p_email,
    phone: row.p_phone,
    preferredContact: row.p_contact,
  };
  const parties = partiesOfRow(principal, row);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    version: row.version,
    patientId: row.patient_id,
    patient,
    senderId: row.sender_id,
    sender: {
      id: row.sender_id,
      fullName: row.s_name,
      role: row.s_role,
      clinicId: row.sender_clinic_id,
      clinicName: row.s_clinic_name,
    },
    recipientId: row.recipient_id,
    recipient:
      row.recipient_id === null
        ? null
        : {
            id: row.recipient_id,
            fullName: row.t_name!,
            role: row.t_role!,
            clinicId: row.recipient_clinic_id!,
            clinicName: row.t_clinic_name!,
          },
    // Who was invited is the sender side's business: the recipient side sees itself as the recipient.
    ...(row.recipient_invite_id &&
      parties.includes('sender') && {
        recipientInvite: {
          email: row.i_email!,
          fullName: row.i_name!,
          role: row.i_role!,
          status: row.i_joined ? 'joined' : 'pending',
          url: row.i_joined ? null : inviteLink(row.recipient_invite_id, row.i_token_version!),
        },
      }),
    priority: row.priority,
    reason: row.reason,
    bodyRegions: row.body_regions,
    observations: row.observations,
    painLevel: row.pain_level,
    onsetDate: row.onset_date,
    neededBy: row.needed_by,
    redFlags: row.red_flags,
    emergencyAdviceGiven: row.emergency_advice_given,
    plan: maintenancePlanView(row.plan),
    replacesId: row.replaces_id,
    previousId: row.previous_id,
    followUpIds: row.follow_ups.filter((f) => partiesOfRow(principal, f).length > 0).map((f) => f.id),
    appointmentAt: row.appointment_at,
    appointmentTimeZone: row.t_clinic_timezone,
    outcome: outcomeView(row.outcome),
    sentAt: row.sent_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    allowedActions: allowedActions(row.status, parties),
    ...(row.unread_count !== undefined && { unreadCount: row.unread_count }),
    ...(row.timeline && { timeline: timelineView(row.timeline) }),
    ...(row.attachments && { attachments: row.attachments.map((a) => ({ ...a, createdAt: isoTimestamp(a.createdAt) })) }),
  };
}
