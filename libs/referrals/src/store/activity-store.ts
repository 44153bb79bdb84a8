import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Principal } from '@referloop/common';
import { outboxInsert, queryRows, sql, type Sql } from '@referloop/database';
import { AuditLog, type ClinicScope } from '@referloop/identity';
import { DataSource, type EntityManager } from 'typeorm';
import type { ReferralDocument } from '../letters/referral-document';
import type { AttachmentView } from '../referral.views';
import type { ReferralStatus } from '../state-machine/referral-state-machine';
import { cursorTs } from './columns';
import { LETTER_PROGRESS_REPORTS, progressJson } from './progress-store';
import { ACTOR_NAME, userName, VIEW_JOINS } from './referral-view';

const PREPARED = { prepare: true };

export interface MessageRow {
  id: string;
  referralId: string;
  actorId: string;
  actorName: string | null;
  note: string;
  occurredAt: string;
}

/** A referral a follow-up or an import starts from: its parties and the patient's facts. */
export interface SourceRow {
  id: string;
  kind: string;
  status: ReferralStatus;
  patientId: string;
  senderId: string;
  senderClinicId: string;
  recipientId: string;
  recipientClinicId: string;
  sentAt: Date | null;
  senderRole: string;
  bodyRegions: string[];
}

/** An attachment's name, type and size: its bytes are read in slices ({@link ReferralActivityStore.attachmentBytes}). */
export interface StoredAttachment {
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

const outboxOfEvent = (type: string, status: ReferralStatus, actorId: string): Sql =>
  outboxInsert(
    sql`event`,
    { referralId: sql`referral_id`, referralEventId: sql`id` },
    // The statuses let the dispatcher see the referral was sent (messages and documents never change them).
    { type, payload: { fromStatus: status, toStatus: status, actorId } },
  );

const party = (user: Sql, clinic: Sql) => sql`json_build_object(
    'fullName', ${user}.full_name, 'role', ${user}.role, 'licenceNumber', ${user}.licence_number, 'licenceRegion', ${user}.licence_region,
    'clinic', json_build_object('name', ${clinic}.name, 'addressLine1', ${clinic}.address_line1, 'city', ${clinic}.address_city,
      'region', ${clinic}.address_region, 'postalCode', ${clinic}.address_postal_code, 'country', ${clinic}.address_country,
      'phone', ${clinic}.phone, 'timezone', ${clinic}.timezone))`;

/**
 * The statements around a referral that are not its lifecycle: messages and read markers,
 * attachments, the follow-up's source and patient copy, the letters' document. Every method is
 * called after the service's access check on the referral (`ReferralsService.visibleBase`).
 */
@Injectable()
export class ReferralActivityStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
  ) {}

  /** A page of a referral's messages, oldest first, keyset-paged on (occurred_at, id). */
  messages(
    referralId: string,
    after: { ts: string; id: string } | undefined,
    limit: number,
  ): Promise<(MessageRow & { cursorTs: string })[]> {
    const keyset = after
      ? sql` AND (occurred_at, id) > (${sql.param(after.ts, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`
      : sql.empty;
    return queryRows(
      this.db.manager,
      sql`SELECT e.id, e.referral_id AS "referralId", e.actor_id AS "actorId", ${ACTOR_NAME} AS "actorName", e.note,
              e.occurred_at::text AS "occurredAt", ${cursorTs(sql`e.occurred_at`)} AS "cursorTs"
         FROM referral_events e WHERE e.referral_id = ${sql.param(referralId, 'uuid')} AND e.type = 'message'${keyset}
        ORDER BY e.occurred_at, e.id LIMIT ${sql.param(limit + 1, 'int')}`,
      PREPARED,
    );
  }

  /**
   * Appends a message: the referral's `updated_at` moves (it rises in the lists) but not its version.
   * Event, outbox and audit rows are one statement; no row when the referral was never sent.
   * `now` is the Clock's (the referral's `updated_at` and the audit row's time).
   */
  async postMessage(
    manager: EntityManager,
    referralId: string,
    status: ReferralStatus,
    author: Principal,
    body: string,
    now: Date,
  ): Promise<MessageRow | undefined> {
    const [row] = await queryRows<MessageRow>(
      manager,
      sql`WITH changed AS (
        UPDATE referrals SET updated_at = ${sql.param(now, 'timestamptz')} WHERE id = ${sql.param(referralId, 'uuid')} AND sent_at IS NOT NULL RETURNING id, status
      ),
      event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, note)
        SELECT id, 'message', status, status, ${sql.param(author.userId, 'uuid')}, ${sql.param(body, 'text')} FROM changed
        RETURNING *
      ),
      outbox AS (${outboxOfEvent('referral.message', status, author.userId)}),
      audit AS (${this.audit.insert({ by: author, action: 'referral.message', resourceType: 'referral' }, sql`changed`, sql`id`, now)})
      SELECT e.id, e.referral_id AS "referralId", e.actor_id AS "actorId", ${ACTOR_NAME} AS "actorName", e.note,
             e.occurred_at::text AS "occurredAt" FROM event e`,
      PREPARED,
    );
    return row;
  }

  /**
   * Moves the user's read marker of the referral to its latest committed event's time (it only moves
   * forward), not to now: an event another request has stamped (the timeline's clock_timestamp())
   * but not yet committed would fall before a marker of now and count as read unseen; against the
   * latest committed event it lands after the marker (unless one stamped later committed first).
   */
  async markRead(userId: string, referralId: string): Promise<void> {
    const referral = sql.param(referralId, 'uuid');
    await queryRows(
      this.db.manager,
      sql`INSERT INTO referral_reads (user_id, referral_id, read_at)
          SELECT ${sql.param(userId, 'uuid')}, e.referral_id, e.occurred_at FROM referral_events e
           WHERE e.referral_id = ${referral} ORDER BY e.occurred_at DESC LIMIT 1
          ON CONFLICT (user_id, referral_id) DO UPDATE SET read_at = GREATEST(referral_reads.read_at, EXCLUDED.read_at)`,
    );
  }

  /** The referral's status, share-locked until the transaction ends (an action on it waits meanwhile). */
  async lockedStatus(tx: EntityManager, referralId: string): Promise<ReferralStatus> {
    const [row] = await queryRows<{ status: ReferralStatus }>(
      tx,
      sql`SELECT status FROM referrals WHERE id = ${sql.param(referralId, 'uuid')} FOR SHARE`,
    );
    return row.status;
  }

  /** Locks the referral (a concurrent send or upload waits) and answers its status and whether it was sent. */
  async lockForUpload(tx: EntityManager, referralId: string): Promise<{ status: ReferralStatus; sentAt: Date | null }> {
    const [locked] = await queryRows<{ status: ReferralStatus; sentAt: Date | null }>(
      tx,
      sql`SELECT status, sent_at AS "sentAt" FROM referrals WHERE id = ${sql.param(referralId, 'uuid')} FOR UPDATE`,
    );
    return locked;
  }

  /** How many attachments the referral holds and their bytes together (under its upload lock, for the caps). */
  async attachmentTotals(tx: EntityManager, referralId: string): Promise<{ count: number; bytes: number }> {
    const [totals] = await queryRows<{ count: number; bytes: number }>(
      tx,
      sql`SELECT count(*)::int AS count, coalesce(sum(size_bytes), 0)::float8 AS bytes
            FROM referral_attachments WHERE referral_id = ${sql.param(referralId, 'uuid')}`,
    );
    return totals;
  }

  /** The referral's attachment with this content (by SHA-256), if one is there already. */
  async attachmentWithContent(tx: EntityManager, referralId: string, sha256: string): Promise<AttachmentView | undefined> {
    const [row] = await queryRows<Omit<AttachmentView, 'createdAt'> & { createdAt: Date }>(
      tx,
      sql`SELECT id, referral_id AS "referralId", file_name AS "fileName", content_type AS "contentType", size_bytes AS "sizeBytes",
                 sha256, uploaded_by AS "uploadedBy", ${userName(sql`uploaded_by`)} AS "uploadedByName",
                 created_at AS "createdAt", added_after_send AS "addedAfterSend"
            FROM referral_attachments WHERE referral_id = ${sql.param(referralId, 'uuid')} AND sha256 = ${sha256}
           ORDER BY created_at, id LIMIT 1`,
    );
    return row && { ...row, createdAt: row.createdAt.toISOString() };
  }

  /** Whether the referral has the attachment `attachmentId` (its content is not read). */
  async hasAttachment(tx: EntityManager, referralId: string, attachmentId: string): Promise<boolean> {
    const rows = await queryRows(
      tx,
      sql`SELECT 1 FROM referral_attachments
           WHERE id = ${sql.param(attachmentId, 'uuid')} AND referral_id = ${sql.param(referralId, 'uuid')}`,
    );
    return rows.length > 0;
  }

  /** Removes an attachment and moves the referral's `updated_at` to `now` (the Clock's). */
  async removeAttachment(tx: EntityManager, referralId: string, attachmentId: string, now: Date): Promise<void> {
    await queryRows(
      tx,
      sql`WITH touched AS (UPDATE referrals SET updated_at = ${sql.param(now, 'timestamptz')} WHERE id = ${sql.param(referralId, 'uuid')})
          DELETE FROM referral_attachments
           WHERE id = ${sql.param(attachmentId, 'uuid')} AND referral_id = ${sql.param(referralId, 'uuid')}`,
    );
  }

  /** Stores an attachment and moves the referral's `updated_at` to `now` (the Clock's). */
  async insertAttachment(
    tx: EntityManager,
    a: {
      referralId: string;
      fileName: string;
      contentType: string;
      content: Buffer;
      sha256: string;
      uploadedBy: string;
      addedAfterSend: boolean;
    },
    now: Date,
  ): Promise<{ id: string; createdAt: Date; uploadedByName: string }> {
    const [row] = await queryRows<{ id: string; createdAt: Date; uploadedByName: string }>(
      tx,
      sql`WITH touched AS (UPDATE referrals SET updated_at = ${sql.param(now, 'timestamptz')} WHERE id = ${sql.param(a.referralId, 'uuid')})
          INSERT INTO referral_attachments (referral_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, added_after_send, created_at)
          VALUES (${sql.param(a.referralId, 'uuid')}, ${a.fileName}, ${a.contentType}, ${sql.param(a.content.length, 'int')}, ${a.sha256},
                  ${a.content}, ${sql.param(a.uploadedBy, 'uuid')}, ${sql.param(a.addedAfterSend, 'boolean')}, ${sql.param(now, 'timestamptz')})
          RETURNING id, created_at AS "createdAt", ${userName(sql`uploaded_by`)} AS "uploadedByName"`,
    );
    return row;
  }

  /** The timeline event of a document added after sending, and its outbox row (ids only), in one statement. */
  async documentAdded(
    tx: EntityManager,
    referralId: string,
    status: ReferralStatus,
    actorId: string,
    attachmentId: string,
  ): Promise<void> {
    await queryRows(
      tx,
      sql`WITH event AS (
        INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, data)
        VALUES (${sql.param(referralId, 'uuid')}, 'document_added', ${sql.param(status, 'text')}, ${sql.param(status, 'text')},
                ${sql.param(actorId, 'uuid')}, ${sql.param({ attachmentId, addedAfterSend: true }, 'jsonb')})
        RETURNING *
      )
      ${outboxOfEvent('referral.document_added', status, actorId)}`,
    );
  }

  async attachment(referralId: string, attachmentId: string): Promise<StoredAttachment | undefined> {
    const [row] = await queryRows<StoredAttachment>(
      this.db.manager,
      sql`SELECT file_name AS "fileName", content_type AS "contentType", size_bytes AS "sizeBytes" FROM referral_attachments
           WHERE id = ${sql.param(attachmentId, 'uuid')} AND referral_id = ${sql.param(referralId, 'uuid')}`,
    );
    return row;
  }

  /**
   * `length` bytes of an attachment from `offset` (fewer at its end); undefined once it was removed.
   * A download reads its file slice by slice, so the API holds one slice per download, not the file.
   */
  async attachmentBytes(attachmentId: string, offset: number, length: number): Promise<Buffer | undefined> {
    const [row] = await queryRows<{ bytes: Buffer }>(
      this.db.manager,
      sql`SELECT substring(content FROM ${sql.param(offset + 1, 'int')} FOR ${sql.param(length, 'int')}) AS bytes
            FROM referral_attachments WHERE id = ${sql.param(attachmentId, 'uuid')}`,
      { prepare: true },
    );
    return row?.bytes;
  }

  /**
   * The follow-up draft from `senderId` to the same massage therapist (`recipientId`, or the address
   * of one invited who has not joined) already made from the referral `sourceId`, if any. Locks the
   * source first (no key update: actions on it go on), so two follow-ups at once are made one after
   * the other and the second finds the first's draft. Only a draft of that sender counts: one a
   * former recipient of the source made (before an admin reassigned it) is theirs alone.
   */
  async openFollowUpDraft(
    tx: EntityManager,
    sourceId: string,
    senderId: string,
    to: { recipientId: string } | { inviteEmail: string },
  ): Promise<string | undefined> {
    const source = sql.param(sourceId, 'uuid');
    await queryRows(tx, sql`SELECT 1 FROM referrals WHERE id = ${source} FOR NO KEY UPDATE`);
    const recipient =
      'recipientId' in to
        ? sql`r.recipient_id = ${sql.param(to.recipientId, 'uuid')}`
        : sql`r.recipient_id IS NULL AND i.joined_at IS NULL AND lower(i.email) = lower(${to.inviteEmail})`;
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`SELECT r.id FROM referrals r LEFT JOIN referral_invites i ON i.id = r.recipient_invite_id
           WHERE r.previous_id = ${source} AND r.sender_id = ${sql.param(senderId, 'uuid')} AND r.status = 'draft'
             AND ${recipient}
           ORDER BY r.created_at, r.id LIMIT 1`,
    );
    return row?.id;
  }

  /** A referral as a follow-up or an import starts from it, whoever's it is: the service checks `partiesOf`. */
  async source(referralId: string): Promise<SourceRow | undefined> {
    const [row] = await queryRows<SourceRow>(
      this.db.manager,
      sql`SELECT r.id, r.kind, r.status, r.patient_id AS "patientId", r.sender_id AS "senderId", r.sender_clinic_id AS "senderClinicId",
              r.recipient_id AS "recipientId", r.recipient_clinic_id AS "recipientClinicId", r.sent_at AS "sentAt",
              s.role AS "senderRole", r.body_regions AS "bodyRegions"
         FROM referrals r JOIN users s ON s.id = r.sender_id
        WHERE r.id = ${sql.param(referralId, 'uuid')}`,
    );
    return row;
  }

  /**
   * The caller's clinic's record of the referral's patient: the person's first record when it is
   * this clinic's (a maintenance referral back to the clinic that first referred them), else the
   * clinic's one copy of that person, inserted from the referral's patient summary the first time
   * (a concurrent import waits on the unique key and then reads the winner's row).
   */
  async copyPatient(tx: EntityManager, scope: ClinicScope, referralId: string): Promise<{ patientId: string; created: boolean }> {
    const clinic = sql.param(scope.clinicId, 'uuid');
    const [row] = await queryRows<{ id: string | null; origin: string }>(
      tx,
      sql`WITH source AS (
            SELECT p.*, coalesce(p.origin_patient_id, p.id) AS origin
              FROM referrals r JOIN patients p ON p.id = r.patient_id
             WHERE r.id = ${sql.param(referralId, 'uuid')}
          ), inserted AS (
            INSERT INTO patients (clinic_id, first_name, last_name, date_of_birth, email, phone, preferred_contact, created_by,
                                  source_referral_id, origin_patient_id)
            SELECT ${clinic}, s.first_name, s.last_name, s.date_of_birth, s.email, s.phone, s.preferred_contact,
                   ${sql.param(scope.userId, 'uuid')}, ${sql.param(referralId, 'uuid')}, s.origin
              FROM source s
             WHERE NOT EXISTS (SELECT 1 FROM patients o WHERE o.id = s.origin AND o.clinic_id = ${clinic})
            ON CONFLICT (clinic_id, origin_patient_id) DO NOTHING
            RETURNING id
          )
          SELECT (SELECT id FROM inserted) AS id, s.origin FROM source s`,
    );
    if (row.id) return { patientId: row.id, created: true };
    const [existing] = await queryRows<{ id: string }>(
      tx,
      sql`SELECT p.id FROM patients p
           WHERE ${scope.owns(sql`p.clinic_id`)}
             AND (p.id = ${sql.param(row.origin, 'uuid')} OR p.origin_patient_id = ${sql.param(row.origin, 'uuid')})`,
    );
    return { patientId: existing.id, created: false };
  }

  /** Everything a referral's PDFs print (attachments by name, type and size only: never their bytes). */
  async document(referralId: string): Promise<Omit<ReferralDocument, 'generatedAt'> | undefined> {
    const [row] = await queryRows<Omit<ReferralDocument, 'generatedAt'>>(
      this.db.manager,
      sql`SELECT to_jsonb(r) || jsonb_build_object('progress', ${progressJson({ latest: LETTER_PROGRESS_REPORTS })},
           'progress_count', (SELECT count(*) FROM referral_progress g WHERE g.referral_id = r.id)) AS referral,
         json_build_object('firstName', p.first_name, 'lastName', p.last_name, 'dateOfBirth', p.date_of_birth::text,
           'email', p.email, 'phone', p.phone, 'preferredContact', p.preferred_contact) AS patient,
         ${party(sql`s`, sql`sc`)} AS sender,
         CASE WHEN t.id IS NOT NULL THEN ${party(sql`t`, sql`tc`)} END AS recipient,
         CASE WHEN t.id IS NULL AND ri.id IS NOT NULL
              THEN json_build_object('fullName', ri.full_name, 'email', ri.email, 'role', ri.role) END AS invitee,
         (SELECT coalesce(json_agg(json_build_object('fileName', a.file_name, 'contentType', a.content_type, 'sizeBytes', a.size_bytes)
                   ORDER BY a.created_at, a.id), '[]')
            FROM referral_attachments a WHERE a.referral_id = r.id) AS attachments,
         (SELECT coalesce(json_agg(json_build_object('type', e.type, 'fromStatus', e.from_status, 'toStatus', e.to_status,
                   'occurredAt', e.occurred_at, 'data', e.data) ORDER BY e.occurred_at, e.id), '[]')
            FROM referral_events e WHERE e.referral_id = r.id) AS timeline
    FROM referrals r ${VIEW_JOINS}
   WHERE r.id = ${sql.param(referralId, 'uuid')}`,
    );
    return row;
  }
}
