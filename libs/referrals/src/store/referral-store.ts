import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ReferralKind, type Role } from '@referloop/common';
import { outboxInsert, type OutboxMessage, outboxRow, queryRows, Sql, sql } from '@referloop/database';
import { AuditLog, type ChangeAuditEntry, type ClinicScope } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import type { ReferralOutcome } from '../entities/referral.entity';
import type { ProgressInput } from '../progress/progress';
import {
  CLOCK_PAUSED_STATUSES,
  type ReferralEventType,
  type ReferralStamp,
  type ReferralStatus,
  TERMINAL_STATUSES,
  type Transition,
} from '../state-machine/referral-state-machine';
import {
  cursorTs,
  type DraftEditField,
  draftEditChanged,
  draftEditSets,
  type ReferralDraftEdit,
  type ReferralInsert,
  referralInsert,
  replacementOf,
} from './columns';
import { progressInsert, progressPage, type ProgressPageRow } from './progress-store';
import {
  detailedReferralSelect,
  insertedReferralSelect,
  EVENT_JSON,
  type EventJson,
  INVITE_LINK_STATUSES,
  referralListSelect,
  type ReferralRow,
  viewSelect,
} from './referral-view';

/** The statements of the referral paths have fixed texts (one per action and filter set at most): prepared once per connection. */
const PREPARED = { prepare: true };

/** A referral's state and parties, with the facts the business rules of its actions read. */
export interface BaseRow {
  id: string;
  status: ReferralStatus;
  version: number;
  kind: ReferralKind;
  patientId: string;
  senderId: string;
  senderClinicId: string;
  recipientId: string | null;
  recipientClinicId: string | null;
  recipientInviteId: string | null;
  sentAt: Date | null;
  appointmentAt: Date | null;
  senderRole: Role;
  /** Null (with the other recipient facts) while the recipient is a pending invite. */
  recipientRole: Role | null;
  recipientLicenceExpiresOn: string | null;
  /** The recipient's clinic's IANA zone: the calendar their licence expires on. */
  recipientClinicTimezone: string | null;
  recipientAccepting: boolean;
  recipientActive: boolean;
  hasSharingConsent: boolean;
  hasPlan: boolean;
  redFlags: string[];
  emergencyAdviceGiven: boolean;
}

/** What creating a referral checks, read in one query. Columns are null when the row does not exist. */
export interface CreateFacts {
  patientFound: boolean;
  /** Only looked up when an admin names another sender (an active user of the admin's clinic). */
  senderRole: Role | null;
  /**
   * The named recipient, any user who joined (null columns when there is none, or only an invitation):
   * the rules then answer why they cannot receive (deactivated, wrong type, licence, not accepting).
   */
  recipientRole: Role | null;
  recipientClinicId: string | null;
  recipientLicenceExpiresOn: string | null;
  recipientClinicTimezone: string | null;
  recipientAccepting: boolean | null;
  recipientActive: boolean | null;
  /** The referral a redirect replaces, with its parties (null columns when there is none). */
  replacedStatus: ReferralStatus | null;
  replacedSenderId: string | null;
  replacedSenderClinicId: string | null;
  replacedRecipientId: string | null;
  replacedRecipientClinicId: string | null;
  replacedSentAt: Date | null;
  /** The injury referral the replaced one followed up: its redirect follows it up too. */
  replacedPreviousId: string | null;
  /** A redirect sends the same patient elsewhere. */
  replacedPatientId: string | null;
  /** The referral that already redirects the replaced one (any but a cancelled one): a referral is redirected once. */
  replacementId: string | null;
  /** The caller's clinic's zone: the dates its people type (neededBy, plan.reviewBy) are days there. */
  senderClinicTimezone: string;
}

/**
 * A draft as it is stored, with every fact the create-time rules read for the draft as an edit
 * would leave it: the sender's role, whether the (new or current) patient belongs to the caller's
 * clinic, the (new or current) recipient if they joined, and the role of a pending invite.
 */
export interface DraftFacts {
  id: string;
  status: ReferralStatus;
  version: number;
  kind: ReferralKind;
  senderId: string;
  senderClinicId: string;
  recipientId: string | null;
  recipientClinicId: string | null;
  recipientInviteId: string | null;
  sentAt: Date | null;
  priority: 'routine' | 'urgent';
  redFlags: string[];
  neededBy: string | null;
  hasPlan: boolean;
  previousId: string | null;
  senderRole: Role;
  /** The merged patient is one of the caller's clinic. */
  patientFound: boolean;
  /** The merged recipient, any user who joined (as {@link CreateFacts}' recipient); null columns otherwise. */
  namedRole: Role | null;
  namedClinicId: string | null;
  namedLicenceExpiresOn: string | null;
  namedClinicTimezone: string | null;
  namedAccepting: boolean | null;
  namedActive: boolean | null;
  /** The role the current pending invite was made for (null when the recipient is a directory practitioner). */
  inviteRole: Role | null;
  /** The patient of the referral this draft redirects (null when it redirects none). */
  replacedPatientId: string | null;
  /** The sender's clinic's zone: the dates its people type (neededBy, plan.reviewBy) are days there. */
  senderClinicTimezone: string;
}

/** A timeline event about to be appended; its referral is the row the same statement changes. */
export interface NewEvent {
  type: ReferralEventType;
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  actorId: string | null;
  reason?: string | null;
  note?: string | null;
  /** Stored as given, or SQL read from the change's row (`changed`). */
  data?: Record<string, unknown> | Sql | null;
  /** Ids the notifications worker needs beyond the statuses and the actor (never PHI). */
  outboxData?: Record<string, string>;
}

/** The audit row of a change; its time is the change's `now` (see {@link ReferralStore.commitChange}). */
export type ChangeAudit = ChangeAuditEntry | null;

/** A user of the caller's clinic, as a reassignment and a claim check them. */
export interface ClinicUserFacts {
  role: Role;
  deactivated: boolean;
  joined: boolean;
  licenceExpiresOn: string | null;
  /** Their clinic's IANA zone: the calendar their licence expires on. */
  clinicTimezone: string;
}

export type ReferralBox = 'sent' | 'received' | 'clinic';

/** A box query as the store runs it (the cursor already decoded). */
export interface BoxQuery {
  /** Undefined: both sides. */
  box?: ReferralBox;
  status?: ReferralStatus[];
  kind?: string;
  patientId?: string;
  updatedSince?: string;
  /** Only referrals last changed by then (microseconds): a later page of a walk begun then. */
  changedBy?: string;
  byPriority: boolean;
  /** (rank,) updated_at with microseconds, id of the last row of the previous page. */
  after?: { rank?: number; ts: string; id: string };
  limit: number;
}

/** The values an action writes besides its status: the clock's now, and the body fields the transition stores. */
export interface ActionWrite {
  now: Date;
  appointmentAt?: Date | null;
  outcome?: ReferralOutcome;
  /** The report a transition that `records: ['progress']` writes (its reporter is the event's actor). */
  progress?: ProgressInput;
}

/**
 * The detailed view of one referral, and of the row a change statement changed (with the events,
 * and the progress report, it inserted): composed once.
 */
const DETAILED = detailedReferralSelect();
const DETAILED_CHANGED = detailedReferralSelect(sql`changed`, sql`event`);
const DETAILED_CHANGED_PROGRESS = detailedReferralSelect(sql`changed`, sql`event`, sql`progress`);
const DETAILED_INSERTED = insertedReferralSelect(sql`changed`, sql`event`);

/** 1 for urgent, 0 for routine: `sort=priority` orders by it first, and its cursor carries it. */
const priorityRank = (column: Sql) => sql`(CASE WHEN ${column} = 'urgent' THEN 1 ELSE 0 END)`;

const STAMP_COLUMNS: Record<ReferralStamp, Sql> = {
  sent_at: sql`sent_at`,
  responded_at: sql`responded_at`,
  closed_at: sql`closed_at`,
};

/** The SET items that stamp `stamps` with `now` (a timestamptz parameter or expression). */
export const stampSets = (stamps: readonly ReferralStamp[], now: Sql): Sql[] =>
  stamps.map((stamp) => sql`${STAMP_COLUMNS[stamp]} = ${now}`);

/**
 * A join link works while one of its invite's referrals can still get a recipient
 * ({@link INVITE_LINK_STATUSES}): this, of `referral`. Once none can (cancelled, expired), the link
 * leads nowhere and is refused like a used one.
 */
const openInviteReferral = (referral: Sql) =>
  sql`${referral}.recipient_id IS NULL AND ${referral}.status = ANY(${sql.param(INVITE_LINK_STATUSES, 'text[]')})`;
/** The `referral_invites` row in scope has such a referral. */
const INVITE_HAS_OPEN_REFERRAL = sql`EXISTS (SELECT 1 FROM referrals o
    WHERE o.recipient_invite_id = referral_invites.id AND ${openInviteReferral(sql`o`)})`;

/**
 * Every SQL statement on the referrals table and its invites, events and reads: services call
 * these methods and hold no SQL. Reads that may answer another clinic's referral (the base row of
 * one referral, which the service then checks with `partiesOf`) are named as such; lists take the
 * caller's {@link ClinicScope} and cannot be called without it.
 */
@Injectable()
export class ReferralStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
  ) {}

  get manager(): EntityManager {
    return this.db.manager;
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * The referral's state, parties and the facts its rules check, whoever's it is: the cross-clinic
   * read every access check starts from (the caller then decides with `partiesOf`).
   */
  async base(id: string, manager: EntityManager = this.db.manager): Promise<BaseRow | undefined> {
    const [row] = await queryRows<BaseRow>(
      manager,
      sql`SELECT r.id, r.status, r.version, r.kind, r.patient_id AS "patientId", r.sender_id AS "senderId",
              r.sender_clinic_id AS "senderClinicId", r.recipient_id AS "recipientId", r.recipient_clinic_id AS "recipientClinicId",
              r.recipient_invite_id AS "recipientInviteId", r.sent_at AS "sentAt", r.appointment_at AS "appointmentAt",
              s.role AS "senderRole", t.role AS "recipientRole", t.licence_expires_on::text AS "recipientLicenceExpiresOn",
              tc.timezone AS "recipientClinicTimezone", t.accepting_referrals AS "recipientAccepting", t.deactivated_at IS NULL AS "recipientActive",
              EXISTS (SELECT 1 FROM patient_consents c
                       WHERE c.patient_id = r.patient_id AND c.scope = 'referral_sharing' AND c.revoked_at IS NULL) AS "hasSharingConsent",
              r.plan IS NOT NULL AS "hasPlan", r.red_flags AS "redFlags", r.emergency_advice_given AS "emergencyAdviceGiven"
         FROM referrals r
         JOIN users s ON s.id = r.sender_id
         LEFT JOIN users t ON t.id = r.recipient_id
         LEFT JOIN clinics tc ON tc.id = t.clinic_id
        WHERE r.id = ${sql.param(id, 'uuid')}`,
      PREPARED,
    );
    return row;
  }

  /** The detailed view row (timeline, attachments) of one referral, whoever's it is: call after an access check. */
  async detailed(id: string, manager: EntityManager = this.db.manager): Promise<ReferralRow | undefined> {
    const [row] = await queryRows<ReferralRow>(manager, sql`${DETAILED} WHERE r.id = ${sql.param(id, 'uuid')}`, PREPARED);
    return row;
  }

  /** A page of one referral's timeline, oldest first, keyset-paged on (occurred_at, id): call after an access check. */
  timelinePage(
    id: string,
    after: { ts: string; id: string } | undefined,
    limit: number,
  ): Promise<{ event: EventJson; cursorTs: string }[]> {
    const keyset = after
      ? sql` AND (e.occurred_at, e.id) > (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`
      : sql.empty;
    return queryRows(
      this.db.manager,
      sql`SELECT ${EVENT_JSON} AS event, ${cursorTs(sql`e.occurred_at`)} AS "cursorTs"
         FROM referral_events e WHERE e.referral_id = ${sql.param(id, 'uuid')}${keyset}
        ORDER BY e.occurred_at, e.id LIMIT ${sql.param(limit + 1, 'int')}`,
      PREPARED,
    );
  }

  /** A page of one referral's progress reports, oldest first, keyset-paged on (reported_at, id): call after an access check. */
  progressPage(id: string, after: { ts: string; id: string } | undefined, limit: number): Promise<ProgressPageRow[]> {
    return queryRows(this.db.manager, progressPage(id, after, limit), PREPARED);
  }

  /**
   * Locks the referral a redirect replaces, inside the redirect's transaction, so that redirects of
   * one referral take turns and each sees whether another already replaced it.
   */
  async lockReplaced(tx: EntityManager, replacesId: string): Promise<void> {
    await queryRows(tx, sql`SELECT 1 FROM referrals WHERE id = ${sql.param(replacesId, 'uuid')} FOR NO KEY UPDATE`);
  }

  /** Everything a create checks against the database, in one round trip. The patient must be the caller's clinic's. */
  async createFacts(
    scope: ClinicScope,
    input: {
      patientId: string;
      namedSenderId: string | null;
      recipientId: string | null;
      replacesId: string | null;
    },
    manager: EntityManager,
  ): Promise<CreateFacts> {
    const clinic = sql.param(scope.clinicId, 'uuid');
    const [facts] = await queryRows<CreateFacts>(
      manager,
      sql`SELECT EXISTS (SELECT 1 FROM patients p WHERE p.id = ${sql.param(input.patientId, 'uuid')} AND ${scope.owns(sql`p.clinic_id`)}) AS "patientFound",
              s.role AS "senderRole",
              t.role AS "recipientRole", t.clinic_id AS "recipientClinicId",
              t.licence_expires_on::text AS "recipientLicenceExpiresOn", tc.timezone AS "recipientClinicTimezone",
              t.accepting_referrals AS "recipientAccepting",
              t.deactivated_at IS NULL AS "recipientActive",
              o.status AS "replacedStatus", o.sender_id AS "replacedSenderId", o.sender_clinic_id AS "replacedSenderClinicId",
              o.recipient_id AS "replacedRecipientId", o.recipient_clinic_id AS "replacedRecipientClinicId",
              o.sent_at AS "replacedSentAt", o.previous_id AS "replacedPreviousId", o.patient_id AS "replacedPatientId",
              ${replacementOf(sql`o.id`)} AS "replacementId",
              (SELECT c.timezone FROM clinics c WHERE ${scope.owns(sql`c.id`)}) AS "senderClinicTimezone"
         FROM (VALUES (1)) one
         LEFT JOIN users s ON s.id = ${sql.param(input.namedSenderId, 'uuid')} AND s.clinic_id = ${clinic}
                          AND s.activated_at IS NOT NULL AND s.deactivated_at IS NULL
         LEFT JOIN users t ON t.id = ${sql.param(input.recipientId, 'uuid')} AND t.activated_at IS NOT NULL
         LEFT JOIN clinics tc ON tc.id = t.clinic_id
         LEFT JOIN referrals o ON o.id = ${sql.param(input.replacesId, 'uuid')}`,
      PREPARED,
    );
    return facts;
  }

  /**
   * Inserts a draft with its `created` event, outbox and audit rows: one statement, answering the
   * detailed view row. `now` is the Clock's (the audit row's time).
   */
  async insert(
    manager: EntityManager,
    values: ReferralInsert,
    event: NewEvent,
    audit: ChangeAudit,
    now: Date,
  ): Promise<ReferralRow> {
    const row = await this.commitChange(manager, sql`${referralInsert(values)} RETURNING *`, event, audit, now, {
      inserted: true,
    });
    if (!row) throw new Error('INSERT … RETURNING answered no row');
    return row;
  }

  /**
   * The action statement: the transition's status, its stamps (the clock's now), the body fields it
   * stores or clears, the response clock's pause, the event, outbox and audit rows — one statement,
   * conditional on the version read. No row: someone changed the referral meanwhile.
   */
  async applyAction(
    id: string,
    expectedVersion: number,
    from: ReferralStatus,
    next: ReferralStatus,
    transition: Transition,
    write: ActionWrite,
    event: NewEvent,
    audit: ChangeAudit,
  ): Promise<ReferralRow | undefined> {
    const now = sql.param(write.now, 'timestamptz');
    const sets: Sql[] = [sql`status = ${sql.param(next, 'text')}`, sql`version = version + 1`, sql`updated_at = ${now}`];
    sets.push(...stampSets(transition.stamps ?? [], now));
    for (const field of transition.stores ?? []) {
      if (field === 'appointmentAt') sets.push(sql`appointment_at = ${sql.param(write.appointmentAt ?? null, 'timestamptz')}`);
      if (field === 'outcome') sets.push(sql`outcome = ${sql.param(write.outcome ?? null, 'jsonb')}`);
    }
    for (const field of transition.clears ?? []) {
      if (field === 'appointmentAt') sets.push(sql`appointment_at = NULL`);
      if (field === 'outcome') sets.push(sql`outcome = NULL`);
    }
    // The response clock stops while the recipient waits for information.
    const pausedBefore = CLOCK_PAUSED_STATUSES.includes(from);
    const pausedAfter = CLOCK_PAUSED_STATUSES.includes(next);
    if (pausedAfter && !pausedBefore) sets.push(sql`sla_paused_at = ${now}`);
    if (pausedBefore && !pausedAfter) {
      sets.push(
        sql`sla_paused_ms = sla_paused_ms + (extract(epoch FROM ${now} - sla_paused_at) * 1000)::bigint`,
        sql`sla_paused_at = NULL`,
      );
    }
    // Rows of their own table (a progress report) are a CTE over the statement's event.
    let recorded: Sql | undefined;
    if (transition.records?.includes('progress')) {
      if (!write.progress || !event.actorId) throw new Error('A progress report needs its report and its reporter');
      recorded = sql`progress AS (${progressInsert(write.progress, event.actorId, write.now)})`;
    }
    return this.commitChange(
      this.db.manager,
      sql`UPDATE referrals SET ${sql.join(sets)}
           WHERE id = ${sql.param(id, 'uuid')} AND version = ${sql.param(expectedVersion, 'int')} RETURNING *`,
      event,
      audit,
      write.now,
      { progress: recorded },
    );
  }

  /**
   * The recipient's first read: `sent` → `received`, conditional on the status (two first reads
   * acknowledge once). `now` is the Clock's.
   */
  acknowledge(id: string, actorId: string, now: Date): Promise<ReferralRow | undefined> {
    return this.commitChange(
      this.db.manager,
      sql`UPDATE referrals SET status = 'received', version = version + 1, updated_at = ${sql.param(now, 'timestamptz')}
           WHERE id = ${sql.param(id, 'uuid')} AND status = 'sent' RETURNING *`,
      { type: 'acknowledged', fromStatus: 'sent', toStatus: 'received', actorId },
      null,
      now,
    );
  }

  /**
   * Hands one side of a referral to another practitioner, conditional on the version read and on
   * that practitioner still being active: their row is share-locked, so a deactivation at the same
   * moment either waits for this (and finds the referral theirs, for Unowned) or wins (no row here).
   */
  reassign(
    id: string,
    version: number,
    side: 'sender' | 'recipient',
    practitionerId: string,
    event: NewEvent,
    audit: ChangeAudit,
    now: Date,
  ): Promise<ReferralRow | undefined> {
    const column = side === 'sender' ? sql`sender_id` : sql`recipient_id`;
    return this.commitChange(
      this.db.manager,
      sql`UPDATE referrals SET ${column} = ${sql.param(practitionerId, 'uuid')}, version = version + 1,
                               updated_at = ${sql.param(now, 'timestamptz')}
           WHERE id = ${sql.param(id, 'uuid')} AND version = ${sql.param(version, 'int')}
             AND EXISTS (SELECT 1 FROM users u WHERE u.id = ${sql.param(practitionerId, 'uuid')} AND u.deactivated_at IS NULL FOR SHARE)
       RETURNING *`,
      event,
      audit,
      now,
    );
  }

  /**
   * A draft edit's read: the referral and the facts of the draft as the edit would leave it, whoever's
   * it is (the caller then decides with `partiesOf`). `patientId` and `recipientId` are the values the
   * edit gives (undefined: the current ones); the patient is looked up in the caller's clinic only.
   */
  async draftFacts(
    manager: EntityManager,
    scope: ClinicScope,
    id: string,
    lookup: { patientId?: string; recipientId?: string | null },
  ): Promise<DraftFacts | undefined> {
    // Fixed text: a null parameter with its "given" flag keeps one prepared statement for every edit.
    const patientGiven = lookup.patientId !== undefined;
    const recipientGiven = lookup.recipientId !== undefined;
    const [row] = await queryRows<DraftFacts>(
      manager,
      sql`SELECT r.id, r.status, r.version, r.kind, r.sender_id AS "senderId", r.sender_clinic_id AS "senderClinicId",
              r.recipient_id AS "recipientId", r.recipient_clinic_id AS "recipientClinicId",
              r.recipient_invite_id AS "recipientInviteId", r.sent_at AS "sentAt", r.priority, r.red_flags AS "redFlags",
              r.needed_by::text AS "neededBy", r.plan IS NOT NULL AS "hasPlan", r.previous_id AS "previousId", s.role AS "senderRole",
              EXISTS (SELECT 1 FROM patients p
                       WHERE p.id = CASE WHEN ${sql.param(patientGiven, 'boolean')} THEN ${sql.param(lookup.patientId ?? null, 'uuid')} ELSE r.patient_id END
                         AND ${scope.owns(sql`p.clinic_id`)}) AS "patientFound",
              t.role AS "namedRole", t.clinic_id AS "namedClinicId",
              t.licence_expires_on::text AS "namedLicenceExpiresOn", tc.timezone AS "namedClinicTimezone",
              t.accepting_referrals AS "namedAccepting",
              t.deactivated_at IS NULL AS "namedActive",
              ri.role AS "inviteRole",
              (SELECT o.patient_id FROM referrals o WHERE o.id = r.replaces_id) AS "replacedPatientId",
              (SELECT c.timezone FROM clinics c WHERE c.id = r.sender_clinic_id) AS "senderClinicTimezone"
         FROM referrals r
         JOIN users s ON s.id = r.sender_id
         LEFT JOIN users t ON t.id = CASE WHEN ${sql.param(recipientGiven, 'boolean')} THEN ${sql.param(lookup.recipientId ?? null, 'uuid')} ELSE r.recipient_id END
                          AND t.activated_at IS NOT NULL
         LEFT JOIN clinics tc ON tc.id = t.clinic_id
         LEFT JOIN referral_invites ri ON ri.id = r.recipient_invite_id AND r.recipient_id IS NULL
        WHERE r.id = ${sql.param(id, 'uuid')}`,
      PREPARED,
    );
    return row;
  }

  /**
   * Writes a draft edit (the registry's `edit` fields given), conditional on the version read and on
   * the referral still being a draft, with its `draft_updated` event, outbox and audit rows: one
   * statement. The event's data and the audit's details name the `fields` whose value the edit
   * changed (`{fields: [...]}`), read against the row it replaces. No row: someone changed it
   * meanwhile (another edit, a send), and nothing was written. Its text depends on which fields are
   * given, so it is not prepared (edits are rare).
   */
  updateDraft(
    manager: EntityManager,
    id: string,
    expectedVersion: number,
    values: ReferralDraftEdit,
    fields: readonly DraftEditField[],
    event: Omit<NewEvent, 'data'>,
    audit: NonNullable<ChangeAudit>,
    now: Date,
  ): Promise<ReferralRow | undefined> {
    const sets = [...draftEditSets(values), sql`version = r.version + 1`, sql`updated_at = ${sql.param(now, 'timestamptz')}`];
    const changed = sql`jsonb_build_object('fields', to_jsonb(edit_fields))`;
    return this.commitChange(
      manager,
      // `old` is the row as the statement found it (locked): RETURNING sees the written one as r.
      sql`UPDATE referrals r SET ${sql.join(sets)}
            FROM (SELECT * FROM referrals
                   WHERE id = ${sql.param(id, 'uuid')} AND version = ${sql.param(expectedVersion, 'int')} AND status = 'draft'
                   FOR NO KEY UPDATE) old
           WHERE r.id = old.id
       RETURNING r.*, ${draftEditChanged(fields)} AS edit_fields`,
      { ...event, data: changed },
      { ...audit, details: changed },
      now,
      { prepare: false },
    );
  }

  /** A user of the caller's clinic: their role, state and licence (a reassignment's target, a claimer). */
  async clinicUser(scope: ClinicScope, userId: string): Promise<ClinicUserFacts | undefined> {
    const [user] = await queryRows<ClinicUserFacts>(
      this.db.manager,
      sql`SELECT u.role, u.deactivated_at IS NOT NULL AS deactivated, u.activated_at IS NOT NULL AS joined,
              u.licence_expires_on::text AS "licenceExpiresOn", c.timezone AS "clinicTimezone"
         FROM users u JOIN clinics c ON c.id = u.clinic_id WHERE u.id = ${sql.param(userId, 'uuid')} AND ${scope.owns(sql`u.clinic_id`)}`,
    );
    return user;
  }

  /**
   * A page of the caller's boxes: `sent` (their own, or their clinic's for an admin), `received`
   * (sent to them or their clinic), or both. Each side is a keyset scan of one index; UNION merges
   * them. One statement for the page and its view, prepared (one text per combination of filters):
   * its generic plan joins the page's rows by primary key.
   */
  async box(scope: ClinicScope, query: BoxQuery): Promise<ReferralRow[]> {
    const filters: Sql[] = [];
    if (query.status?.length) filters.push(sql`status = ANY(${sql.param(query.status, 'text[]')})`);
    if (query.kind) filters.push(sql`kind = ${sql.param(query.kind, 'text')}`);
    if (query.patientId) filters.push(sql`patient_id = ${sql.param(query.patientId, 'uuid')}`);
    if (query.updatedSince) filters.push(sql`updated_at >= ${sql.param(query.updatedSince, 'timestamptz')}`);
    if (query.changedBy) filters.push(sql`updated_at <= ${sql.param(query.changedBy, 'timestamptz')}`);
    const after = query.after;
    const keyset = after
      ? sql`(updated_at, id) < (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`
      : undefined;
    const owner = sql.param(scope.isAdmin ? scope.clinicId : scope.userId, 'uuid');
    const sentSide = scope.isAdmin ? sql`sender_clinic_id = ${owner}` : sql`sender_id = ${owner}`;
    // The recipient side sees only what was sent (a draft cancelled before sending stays the sender's).
    const receivedSide = scope.isAdmin
      ? sql`recipient_clinic_id = ${owner} AND sent_at IS NOT NULL`
      : sql`recipient_id = ${owner} AND sent_at IS NOT NULL`;
    const sides = query.box === 'sent' ? [sentSide] : query.box === 'received' ? [receivedSide] : [sentSide, receivedSide];
    const limit = sql.param(query.limit + 1, 'int');
    const branch = (side: Sql, rank?: 0 | 1) => {
      const own = rank === undefined ? [] : [sql`priority = ${rank === 1 ? 'urgent' : 'routine'}`];
      // Past the cursor: within its rank by (updated_at, id); a lower rank from its start.
      const position = keyset && (rank === undefined || rank === (after?.rank ?? 0)) ? [keyset] : [];
      return sql`(SELECT id, updated_at, ${rank === undefined ? priorityRank(sql`priority`) : rank === 1 ? sql`1` : sql`0`} AS rank FROM referrals
            WHERE ${sql.join([side, ...own, ...filters, ...position], sql` AND `)} ORDER BY updated_at DESC, id DESC LIMIT ${limit})`;
    };
    // By priority, each side is two keyset scans of its box index (urgent, then routine), each in the
    // index's order, so a page reads a page's rows, not every referral of the box to sort them; a rank
    // the cursor has passed is left out.
    const ranks: (0 | 1)[] = (after?.rank ?? 1) === 1 ? [1, 0] : [0];
    const branches = query.byPriority
      ? sides.flatMap((side) => ranks.map((rank) => branch(side, rank)))
      : sides.map((side) => branch(side));
    const order = query.byPriority ? sql`rank DESC, updated_at DESC, id DESC` : sql`updated_at DESC, id DESC`;
    const page = sql`SELECT id FROM (${sql.join(branches, sql` UNION `)}) page ORDER BY ${order} LIMIT ${limit}`;
    const viewOrder = query.byPriority
      ? sql`${priorityRank(sql`r.priority`)} DESC, r.updated_at DESC, r.id DESC`
      : sql`r.updated_at DESC, r.id DESC`;
    return queryRows<ReferralRow>(
      this.db.manager,
      sql`${referralListSelect(scope.userId)} WHERE r.id IN (${page}) ORDER BY ${viewOrder}`,
      PREPARED,
    );
  }

  /**
   * The open referrals of the admin's clinic whose own-side practitioner is deactivated: sent by
   * one (drafts included) or sent to one. Keyset-paged like the boxes, newest change first.
   */
  unowned(scope: ClinicScope, after: { ts: string; id: string } | undefined, limit: number): Promise<ReferralRow[]> {
    const filters = [sql`r.status <> ALL(${sql.param(TERMINAL_STATUSES, 'text[]')})`];
    if (after) filters.push(sql`(r.updated_at, r.id) < (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`);
    const gone = sql`SELECT u.id FROM users u WHERE ${scope.owns(sql`u.clinic_id`)} AND u.deactivated_at IS NOT NULL`;
    const lim = sql.param(limit + 1, 'int');
    // Each deactivated user's newest open referrals on each side, down that side's box index: one OR
    // over both sides could use neither index and read every clinic's referrals, also with nobody
    // deactivated.
    const side = (party: Sql, sent: Sql) =>
      sql`(SELECT x.id, x.updated_at FROM (${gone}) g CROSS JOIN LATERAL (
             SELECT r.id, r.updated_at FROM referrals r
              WHERE ${party} = g.id ${sent} AND ${sql.join(filters, sql` AND `)}
              ORDER BY r.updated_at DESC, r.id DESC LIMIT ${lim}) x)`;
    return queryRows<ReferralRow>(
      this.db.manager,
      sql`${viewSelect()}
        WHERE r.id IN (
          SELECT o.id FROM (${side(sql`r.sender_id`, sql.empty)} UNION ${side(sql`r.recipient_id`, sql`AND r.sent_at IS NOT NULL`)}) o
           ORDER BY o.updated_at DESC, o.id DESC LIMIT ${lim})
        ORDER BY r.updated_at DESC, r.id DESC`,
    );
  }

  /**
   * The next export rows of the caller's clinic after `after` (by created_at, id): the referrals it
   * sent, and those sent to it, created in [from, to). The same view row as the API's.
   */
  exportBatch(
    scope: ClinicScope,
    from: Date,
    to: Date,
    after: { ts: string; id: string } | undefined,
    limit: number,
  ): Promise<ReferralRow[]> {
    const range = sql`created_at >= ${sql.param(from, 'timestamptz')} AND created_at < ${sql.param(to, 'timestamptz')}${
      after ? sql` AND (created_at, id) > (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})` : sql.empty
    }`;
    const lim = sql.param(limit, 'int');
    const page = sql`(
           (SELECT id, created_at FROM referrals
             WHERE ${scope.owns(sql`sender_clinic_id`)} AND ${range} ORDER BY created_at, id LIMIT ${lim})
           UNION ALL
           (SELECT id, created_at FROM referrals
             WHERE ${scope.owns(sql`recipient_clinic_id`)} AND sent_at IS NOT NULL AND NOT ${scope.owns(sql`sender_clinic_id`)} AND ${range}
             ORDER BY created_at, id LIMIT ${lim})
           ORDER BY created_at, id LIMIT ${lim})`;
    return queryRows<ReferralRow>(
      this.db.manager,
      sql`${viewSelect(sql`(SELECT r.* FROM ${page} page JOIN referrals r ON r.id = page.id)`)} ORDER BY r.created_at, r.id`,
    );
  }

  /**
   * The sender clinic's pending invite of this address, made now (with `id` and `tokenHash`) if there
   * is none. ON CONFLICT … DO UPDATE locks the existing row, so concurrent creates share one invite.
   * Undefined, and nothing written, when the address is a user's of the sender clinic (the sender's
   * own included): they are on ReferLoop there already, and its link could never be taken.
   */
  async pendingInvite(
    manager: EntityManager,
    scope: ClinicScope,
    invite: { id: string; email: string; fullName: string; role: string; tokenHash: string },
  ): Promise<{ id: string; role: string } | undefined> {
    const clinic = sql.param(scope.clinicId, 'uuid');
    const email = sql.param(invite.email, 'text');
    const [row] = await queryRows<{ id: string; role: string }>(
      manager,
      sql`INSERT INTO referral_invites (id, sender_clinic_id, email, full_name, role, token_hash)
          SELECT ${sql.param(invite.id, 'uuid')}, ${clinic}, ${email}, ${sql.param(invite.fullName, 'text')}, ${sql.param(invite.role, 'text')}, ${sql.param(invite.tokenHash, 'text')}
           WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(${email}) AND ${scope.owns(sql`clinic_id`)})
          ON CONFLICT (sender_clinic_id, lower(email)) WHERE joined_at IS NULL DO UPDATE SET full_name = EXCLUDED.full_name
          RETURNING id, role`,
    );
    return row;
  }

  /**
   * A pending invite, locked for a new token: its token version, and its latest sent referral (null
   * while all its referrals are drafts: nobody has been emailed its link yet). Undefined when the
   * invitee joined meanwhile.
   */
  async lockPendingInvite(
    tx: EntityManager,
    inviteId: string,
  ): Promise<{ tokenVersion: number; sentReferralId: string | null } | undefined> {
    const [invite] = await queryRows<{ tokenVersion: number; sentReferralId: string | null }>(
      tx,
      sql`SELECT i.token_version AS "tokenVersion",
              (SELECT r.id FROM referrals r WHERE r.recipient_invite_id = i.id AND r.status = 'sent'
                ORDER BY r.sent_at DESC, r.id LIMIT 1) AS "sentReferralId"
         FROM referral_invites i WHERE i.id = ${sql.param(inviteId, 'uuid')} AND i.joined_at IS NULL FOR UPDATE OF i`,
    );
    return invite;
  }

  async setInviteToken(tx: EntityManager, inviteId: string, tokenVersion: number, tokenHash: string): Promise<void> {
    await queryRows(
      tx,
      sql`UPDATE referral_invites SET token_version = ${sql.param(tokenVersion, 'int')}, token_hash = ${tokenHash}
           WHERE id = ${sql.param(inviteId, 'uuid')}`,
    );
  }

  /**
   * The timeline's record that `actorId` made the invite's link anew (the referral's status stays):
   * the `invite_resent` event and a new version, as for any action, so whoever has the referral open
   * hears of it (a live event) and reads the new link. Only when the referral is at `expected`;
   * answers false, writing nothing, when it is not.
   */
  async inviteResent(tx: EntityManager, referralId: string, actorId: string, now: Date, expected: number): Promise<boolean> {
    const [row] = await queryRows<{ resent: boolean }>(
      tx,
      sql`WITH changed AS (
        UPDATE referrals SET version = version + 1, updated_at = ${sql.param(now, 'timestamptz')}
         WHERE id = ${sql.param(referralId, 'uuid')} AND version = ${sql.param(expected, 'int')}
         RETURNING id, status
      ), event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, occurred_at)
        SELECT id, 'invite_resent', status, status, ${sql.param(actorId, 'uuid')}, ${sql.param(now, 'timestamptz')} FROM changed
      )
      SELECT EXISTS (SELECT 1 FROM changed) AS resent`,
    );
    return row.resent;
  }

  /** An outbox row on its own, inside the caller's transaction (e.g. an invite sent again). */
  async announce(tx: EntityManager, message: OutboxMessage): Promise<void> {
    await queryRows(tx, outboxRow(message));
  }

  /** The pending invite with this token's hash, for the sign-up page (none when the link does not work). */
  async inviteByToken(tokenHash: string): Promise<{ email: string; fullName: string; role: string } | undefined> {
    const [row] = await queryRows<{ email: string; fullName: string; role: string }>(
      this.db.manager,
      sql`SELECT email, full_name AS "fullName", role FROM referral_invites
           WHERE token_hash = ${tokenHash} AND joined_at IS NULL AND ${INVITE_HAS_OPEN_REFERRAL}`,
    );
    return row;
  }

  /**
   * Marks the invite with this token's hash joined by `userId` (single use); none when the link does
   * not work. The open referral that keeps the link working is locked first (and read again if a
   * change was committed meanwhile): a cancel at the same moment either ended it before (the link
   * is refused) or waits and finds it taken; a join could otherwise use the link up and get nothing.
   */
  async joinInvite(
    tx: EntityManager,
    tokenHash: string,
    userId: string,
    now: Date,
  ): Promise<{ id: string; role: string; senderClinicId: string } | undefined> {
    const [invite] = await queryRows<{ id: string; role: string; senderClinicId: string }>(
      tx,
      sql`WITH open AS (
            SELECT o.id FROM referrals o JOIN referral_invites i ON i.id = o.recipient_invite_id
             WHERE i.token_hash = ${tokenHash} AND i.joined_at IS NULL AND ${openInviteReferral(sql`o`)}
               FOR NO KEY UPDATE OF o
          )
          UPDATE referral_invites SET joined_user_id = ${sql.param(userId, 'uuid')}, joined_at = ${sql.param(now, 'timestamptz')}
           WHERE token_hash = ${tokenHash} AND joined_at IS NULL AND EXISTS (SELECT 1 FROM open)
           RETURNING id, role, sender_clinic_id AS "senderClinicId"`,
    );
    return invite;
  }

  /**
   * The invite's referrals get their recipient: drafts simply name them; sent ones stay `sent` with a
   * `recipient_joined` event (outbox: both sides are told). `how`: they signed up through the link,
   * or were on ReferLoop already and took it (the sender is not told they "joined"). `now` is the Clock's.
   */
  async attachJoinedRecipient(
    tx: EntityManager,
    inviteId: string,
    user: { id: string; clinicId: string },
    how: 'signed_up' | 'member',
    now: Date,
  ): Promise<void> {
    const attach = sql`recipient_id = ${sql.param(user.id, 'uuid')}, recipient_clinic_id = ${sql.param(user.clinicId, 'uuid')},
                    version = version + 1, updated_at = ${sql.param(now, 'timestamptz')}`;
    const invite = sql.param(inviteId, 'uuid');
    await queryRows(
      tx,
      sql`UPDATE referrals SET ${attach} WHERE recipient_invite_id = ${invite} AND recipient_id IS NULL AND status = 'draft'`,
    );
    await this.commitChange(
      tx,
      sql`UPDATE referrals SET ${attach} WHERE recipient_invite_id = ${invite} AND recipient_id IS NULL AND status = 'sent' RETURNING *`,
      { type: 'recipient_joined', fromStatus: 'sent', toStatus: 'sent', actorId: user.id, outboxData: { joinedAs: how } },
      null,
      now,
    );
  }

  /**
   * Writes a change and what goes with it as ONE statement: `change` (an INSERT or UPDATE of
   * referrals … RETURNING *), the timeline event of the changed row, its outbox row (ids only, no
   * PHI) and, when given, the audit row; it answers the changed referral's detailed view row. One
   * statement commits atomically without BEGIN/COMMIT round trips; when `change` matches no row
   * nothing is written and no row comes back. `progress` is the CTE `progress AS (…)` of a
   * progress report, written after the event and answered in the view. `now` is the Clock's now
   * the change was written with: the audit row's `occurred_at`.
   */
  private async commitChange(
    manager: EntityManager,
    change: Sql,
    event: NewEvent,
    audit: ChangeAudit,
    now: Date,
    /**
     * `progress`: a progress report written with the event (report-progress); `inserted`: `change`
     * inserts the referral (a create); `prepare: false` for texts that vary.
     */
    options: { progress?: Sql; inserted?: boolean; prepare?: boolean } = {},
  ): Promise<ReferralRow | undefined> {
    const { progress, inserted } = options;
    const outbox = outboxInsert(
      sql`event`,
      { referralId: sql`referral_id`, referralEventId: sql`id` },
      {
        type: `referral.${event.type}`,
        payload: { fromStatus: event.fromStatus, toStatus: event.toStatus, actorId: event.actorId, ...event.outboxData },
      },
    );
    const statement = sql`WITH changed AS (${change}),
      event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, reason, note, data)
        SELECT id, ${sql.param(event.type, 'text')}, ${sql.param(event.fromStatus, 'text')}, ${sql.param(event.toStatus, 'text')},
               ${sql.param(event.actorId, 'uuid')}, ${sql.param(event.reason ?? null, 'text')}, ${sql.param(event.note ?? null, 'text')},
               ${event.data instanceof Sql ? event.data : sql.param(event.data ?? null, 'jsonb')}
          FROM changed
        RETURNING *
      ),${
        progress
          ? sql`
      ${progress},`
          : sql.empty
      }
      outbox AS (${outbox})${
        audit
          ? sql`,
      audit AS (${this.audit.insert(audit, sql`changed`, sql`id`, now)})`
          : sql.empty
      }
      ${inserted ? DETAILED_INSERTED : progress ? DETAILED_CHANGED_PROGRESS : DETAILED_CHANGED}`;
    const [row] = await queryRows<ReferralRow>(manager, statement, { prepare: options.prepare ?? true });
    return row;
  }
}
