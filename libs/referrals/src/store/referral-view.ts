import type { Principal } from '@referloop/common';
import { sql, type Sql } from '@referloop/database';
import { types } from 'pg';
import type { ReferralOutcome } from '../entities/referral.entity';
import { maintenancePlanView } from '../maintenance-plan';
import { partiesOf } from '../referral-access';
import { offeredActions } from '../referral-rules';
import type { ProgressView } from '../progress/progress';
import type { AttachmentView, PatientSummary, ReferralEventView, ReferralView } from '../referral.views';
import type { ReferralStatus } from '../state-machine/referral-state-machine';
import { INSERTED_SELECT_LIST, REFERRAL_SELECT_LIST, type ReferralColumns, viewColumns } from './columns';
import { PROGRESS_WINDOW, progressJson } from './progress-store';

/** A referral as the view's SELECT answers it, with what some statements add. */
export interface ReferralRow extends ReferralColumns {
  /** Only from the boxes ({@link referralListSelect}). */
  unreadCount?: number;
  /** Only from {@link detailedReferralSelect}. */
  timeline?: EventJson[];
  attachments?: AttachmentJson[];
  /** Only from {@link detailedReferralSelect}: `progress[]`, already in the view's shape. */
  progress?: ProgressView[];
}

/** The referral `r` and the rows the view joins: patient, sender and their clinic, recipient and theirs, invite. */
export const VIEW_JOINS = sql`
    JOIN patients p ON p.id = r.patient_id
    JOIN users s ON s.id = r.sender_id
    JOIN clinics sc ON sc.id = r.sender_clinic_id
    LEFT JOIN users t ON t.id = r.recipient_id
    LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
    LEFT JOIN referral_invites ri ON ri.id = r.recipient_invite_id`;

/** SELECT list and joins of {@link ReferralRow} over `source` r (the table, or a CTE of changed rows); callers add WHERE / ORDER BY. */
export function viewSelect(source: Sql = sql`referrals`, extraColumns: Sql = sql.empty, list: Sql = REFERRAL_SELECT_LIST): Sql {
  return sql`SELECT ${list}${extraColumns} FROM ${source} r ${VIEW_JOINS}`;
}

/**
 * The view with `unreadCount` for the user `userId`: the timeline events (messages included) by
 * someone else since the referral was sent and since the user's read marker. One indexed count per row.
 */
export function referralListSelect(userId: string): Sql {
  const user = sql.param(userId, 'uuid');
  return viewSelect(
    sql`referrals`,
    sql`,
         (SELECT count(*)::int FROM referral_events e
           WHERE e.referral_id = r.id AND e.actor_id IS DISTINCT FROM ${user}
             AND e.occurred_at > GREATEST(r.sent_at,
                   (SELECT m.read_at FROM referral_reads m WHERE m.user_id = ${user} AND m.referral_id = r.id))) AS "unreadCount"`,
  );
}

const EVENT_COLUMNS = sql`id, referral_id, type, from_status, to_status, actor_id, reason, note, data, occurred_at`;

/** The name of the user `id` (a column), as they are named now. */
export const userName = (id: Sql): Sql => sql`(SELECT u.full_name FROM users u WHERE u.id = ${id})`;

/** The name of a timeline event `e`'s actor, as they are named now (null for the system). */
export const ACTOR_NAME = userName(sql`e.actor_id`);

/** One timeline event `e` as the JSON the view reads (see {@link timelineJson}). */
export const EVENT_JSON = sql`json_build_object(
             'id', e.id, 'referralId', e.referral_id, 'type', e.type, 'fromStatus', e.from_status, 'toStatus', e.to_status,
             'actorId', e.actor_id, 'actorName', ${ACTOR_NAME},
             'reason', e.reason, 'note', e.note, 'data', e.data, 'occurredAt', e.occurred_at::text)`;

/**
 * How many of a referral's latest events its detailed view embeds. A conversation can run to
 * thousands of messages (each up to 5,000 characters): embedding them all made one answer tens of
 * megabytes and a few parallel reads ran the API out of memory. `GET /referrals/:id/events` pages
 * through them all.
 */
export const TIMELINE_WINDOW = 100;

/**
 * The latest TIMELINE_WINDOW + 1 events of the referral `referralId` (an SQL expression) as a JSON
 * array, oldest first: one more than the window, so the view knows whether earlier ones exist.
 * `pendingEvents` names a CTE of events inserted by the same statement, which its snapshot does
 * not show yet. Timestamps are PostgreSQL's own text, parsed by pg's parser (see below), so they
 * come out exactly as from a plain timestamptz column.
 */
export function timelineJson(referralId: Sql, pendingEvents?: Sql): Sql {
  const pending = pendingEvents
    ? sql` UNION ALL SELECT ${EVENT_COLUMNS} FROM ${pendingEvents} WHERE referral_id = ${referralId}`
    : sql.empty;
  return eventsJson(
    sql`SELECT * FROM (SELECT ${EVENT_COLUMNS} FROM referral_events WHERE referral_id = ${referralId}${pending}) latest
         ORDER BY occurred_at DESC, id DESC LIMIT ${TIMELINE_WINDOW + 1}`,
  );
}

/** The events `events` selects (their EVENT_COLUMNS) as a JSON array, oldest first. */
function eventsJson(events: Sql): Sql {
  return sql`(SELECT coalesce(json_agg(${EVENT_JSON} ORDER BY e.occurred_at, e.id), '[]') FROM (${events}) e)`;
}

const ATTACHMENTS_JSON = sql`(SELECT coalesce(json_agg(json_build_object(
             'id', a.id, 'referralId', a.referral_id, 'fileName', a.file_name, 'contentType', a.content_type,
             'sizeBytes', a.size_bytes, 'sha256', a.sha256, 'uploadedBy', a.uploaded_by,
             'uploadedByName', ${userName(sql`a.uploaded_by`)}, 'createdAt', a.created_at::text,
             'addedAfterSend', a.added_after_send
           ) ORDER BY a.created_at, a.id), '[]')
      FROM referral_attachments a WHERE a.referral_id = r.id)`;

/**
 * The view with the timeline, the attachments and the progress reports: the whole
 * `GET /referrals/:id` shape in one query. Over a CTE of changed rows (`source`), `pendingEvents`
 * adds the events the same statement inserted, and `pendingProgress` its progress report.
 */
export function detailedReferralSelect(source: Sql = sql`referrals`, pendingEvents?: Sql, pendingProgress?: Sql): Sql {
  return viewSelect(
    source,
    sql`,
         ${timelineJson(sql`r.id`, pendingEvents)} AS timeline,
         ${ATTACHMENTS_JSON} AS attachments,
         ${progressJson({ pending: pendingProgress, latest: PROGRESS_WINDOW + 1 })} AS progress`,
  );
}

/**
 * The detailed view of the row a create statement inserts (`inserted`, with its event CTE
 * `insertedEvents`): nothing can point at a row that did not exist, so its timeline is the
 * statement's own event and it has no attachments, progress reports or follow-ups. Those four
 * lookups were about a quarter of the create statement's PostgreSQL CPU.
 */
export function insertedReferralSelect(inserted: Sql, insertedEvents: Sql): Sql {
  return viewSelect(
    inserted,
    sql`,
         ${eventsJson(sql`SELECT ${EVENT_COLUMNS} FROM ${insertedEvents} WHERE referral_id = r.id`)} AS timeline,
         '[]'::json AS attachments,
         '[]'::json AS progress`,
    INSERTED_SELECT_LIST,
  );
}

/** A timeline event or attachment as the JSON above builds it: the view's shape, timestamps as PostgreSQL text. */
export type EventJson = Omit<ReferralEventView, 'occurredAt'> & { occurredAt: string };
export type TimelineJson = EventJson[];
type AttachmentJson = Omit<AttachmentView, 'createdAt'> & { createdAt: string };

const parseTimestamptz = types.getTypeParser(types.builtins.TIMESTAMPTZ) as (text: string) => Date;
const isoTimestamp = (pgText: string): string => parseTimestamptz(pgText).toISOString();

/** A timeline event as the caller sees it (an ISO timestamp). */
export function eventView(event: EventJson): ReferralEventView {
  return { ...event, occurredAt: isoTimestamp(event.occurredAt) };
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

/**
 * A pending invite's link leads somewhere only while its referral can still get a recipient: a
 * draft or a sent one. An ended referral offers none, and the store refuses a link none of whose
 * referrals is in one of these.
 */
export const INVITE_LINK_STATUSES: readonly ReferralStatus[] = ['draft', 'sent'];

export const inviteLinkWorks = (status: ReferralStatus): boolean => INVITE_LINK_STATUSES.includes(status);

/** Builds the join link of a pending invite (its id and current token version); the sender's side sees it. */
export type InviteLink = (inviteId: string, tokenVersion: number) => string;

/** What a view needs besides the row and the caller. */
export interface ViewContext {
  inviteLink: InviteLink;
  /** The application clock's instant: whether the recipient's licence has lapsed. */
  now: Date;
}

/** The patient summary of a view row. */
export function patientOf(row: ReferralColumns): PatientSummary {
  return {
    id: row.patientId,
    firstName: row.pFirstName,
    lastName: row.pLastName,
    dateOfBirth: row.pDob,
    email: row.pEmail,
    phone: row.pPhone,
    preferredContact: row.pContact,
  };
}

/**
 * The one mapping from a view row to what the caller sees: the registry's view fields, then the
 * composed ones. Built by assignment, not object spread: a list page maps 50 rows, and spreading
 * the wide row objects pg answers cost ~10x as much (16 µs a row).
 */
export function referralView(row: ReferralRow, principal: Principal, context: ViewContext): ReferralView {
  const parties = partiesOf(principal, row);
  const view: ReferralView = Object.assign(viewColumns(row), {
    patient: patientOf(row),
    sender: {
      id: row.senderId,
      fullName: row.sName,
      role: row.sRole,
      clinicId: row.senderClinicId,
      clinicName: row.sClinicName,
    },
    recipient:
      row.recipientId === null
        ? null
        : {
            id: row.recipientId,
            fullName: row.tName!,
            role: row.tRole!,
            clinicId: row.recipientClinicId!,
            clinicName: row.tClinicName!,
          },
    plan: maintenancePlanView(row.plan),
    followUpIds: row.followUps.filter((f) => partiesOf(principal, f).length > 0).map((f) => f.id),
    outcome: outcomeView(row.outcome),
    allowedActions: offeredActions(
      row.status,
      parties,
      // The recipient clinic's zone is their own clinic's: the calendar their licence expires on.
      row.recipientId === null ? null : { licenceExpiresOn: row.tLicenceExpiresOn, clinicTimezone: row.appointmentTimeZone! },
      context.now,
    ),
  });
  // Who was invited is the sender side's business: the recipient side sees itself as the recipient.
  if (row.recipientInviteId && parties.includes('sender')) {
    view.recipientInvite = {
      email: row.iEmail!,
      fullName: row.iName!,
      role: row.iRole!,
      status: row.iJoined ? 'joined' : 'pending',
      url: !row.iJoined && inviteLinkWorks(row.status) ? context.inviteLink(row.recipientInviteId, row.iTokenVersion!) : null,
    };
  }
  // A redirected draft that was never sent stays the sender side's alone, its id included.
  if (row.replacedWasSent === false && !parties.includes('sender')) view.replacesId = null;
  // A redirect goes to someone else: the recipient side learns nothing of it.
  if (!parties.includes('sender')) view.replacedById = null;
  if (row.unreadCount !== undefined) view.unreadCount = row.unreadCount;
  if (row.timeline) {
    const earlier = row.timeline.length > TIMELINE_WINDOW;
    view.timeline = (earlier ? row.timeline.slice(1) : row.timeline).map(eventView);
    view.timelineTruncated = earlier;
  }
  if (row.progress) {
    const earlier = row.progress.length > PROGRESS_WINDOW;
    view.progress = earlier ? row.progress.slice(1) : row.progress;
    view.progressTruncated = earlier;
  }
  if (row.attachments) view.attachments = row.attachments.map((a) => ({ ...a, createdAt: isoTimestamp(a.createdAt) }));
  return view;
}
