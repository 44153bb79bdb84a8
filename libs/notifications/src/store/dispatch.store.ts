import { Injectable } from '@nestjs/common';
import { queryRows, sql } from '@referloop/database';
import type { EntityManager } from 'typeorm';
import type { DeliveryChannel, DeliveryStatus } from '../entities';
import { REFERRAL_INVITE_EMAIL } from '../who-is-told';

/** An outbox event with the facts of its referral (null columns when the referral is gone or there is none). */
export interface EventRow {
  id: string;
  type: string;
  referral_id: string | null;
  payload: {
    fromStatus?: string | null;
    toStatus?: string;
    actorId?: string | null;
    deliveryId?: string;
    invitationId?: string;
    passwordResetId?: string;
    /** `admin_rights.changed`: whose rights changed, and whether they are an admin now. */
    userId?: string;
    isAdmin?: boolean;
    /** `reassigned`: the side that changed hands, its previous (absent before this was recorded) and its new practitioner. */
    side?: 'sender' | 'recipient';
    fromPractitionerId?: string;
    toPractitionerId?: string;
    /** `sent`: to someone invited who had not joined (see recipientKnows). */
    sentTo?: 'invite';
    /** `recipient_joined`: signed up through the link, or already on ReferLoop and took it (absent before this was recorded). */
    joinedAs?: 'signed_up' | 'member';
  };
  sender_id: string | null;
  recipient_id: string | null;
  sender_clinic_id: string | null;
  recipient_clinic_id: string | null;
  /** Set while the recipient is someone not on ReferLoop (then `recipient_id` is null until they join). */
  recipient_invite_id: string | null;
  /** Whether the referral was ever sent. */
  sent: boolean | null;
  sender_clinic: string | null;
  recipient_clinic: string | null;
  urgent: boolean | null;
}

/** One delivery row to insert; in-app rows also carry the notification's text. */
export interface PlannedDelivery {
  outboxEventId: string;
  channel: DeliveryChannel;
  recipientKey: string;
  userId: string | null;
  webhookId: string | null;
  clinicId: string;
  notificationType: string;
  referralId: string | null;
  /** In-app rows are delivered as they are written. */
  status: Extract<DeliveryStatus, 'pending' | 'delivered'>;
  event: string;
  title: string | null;
  body: string | null;
}

export interface PendingDelivery {
  id: string;
  retryCount: number;
}

const uuids = (ids: readonly (string | null | undefined)[]) =>
  sql.param([...new Set(ids.filter((id): id is string => !!id))], 'uuid[]');

/**
 * The dispatcher's statements (worker side): the facts a fan-out reads and the one statement that
 * writes its deliveries and in-app notifications. Every statement is fixed text, prepared once per
 * connection: a dispatch runs them for a whole batch of events.
 */
@Injectable()
export class DispatchStore {
  /** Each user's clinic and full name: an actor's clinic (admins act for their clinic's side), who changed whose admin rights. */
  async users(tx: EntityManager, userIds: string[]): Promise<Map<string, { clinic_id: string; full_name: string }>> {
    if (userIds.length === 0) return new Map();
    const rows = await queryRows<{ id: string; clinic_id: string; full_name: string }>(
      tx,
      sql`SELECT id, clinic_id, full_name FROM users WHERE id = ANY(${uuids(userIds)})`,
      { prepare: true },
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Which of these users have been deactivated. */
  async deactivatedAmong(tx: EntityManager, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`SELECT id FROM users WHERE id = ANY(${uuids(userIds)}) AND deactivated_at IS NOT NULL`,
      { prepare: true },
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The active admins of each clinic, by clinic. */
  async adminsOf(tx: EntityManager, clinicIds: string[]): Promise<Map<string, string[]>> {
    const admins = new Map<string, string[]>();
    if (clinicIds.length === 0) return admins;
    const rows = await queryRows<{ id: string; clinic_id: string }>(
      tx,
      sql`SELECT id, clinic_id FROM users
           WHERE clinic_id = ANY(${uuids(clinicIds)}) AND is_admin AND activated_at IS NOT NULL AND deactivated_at IS NULL ORDER BY id`,
      { prepare: true },
    );
    for (const row of rows) admins.set(row.clinic_id, [...(admins.get(row.clinic_id) ?? []), row.id]);
    return admins;
  }

  /** The patients of these referrals who have an email address and an active `patient_notifications` consent. */
  async reachablePatients(
    tx: EntityManager,
    referralIds: string[],
  ): Promise<Map<string, { patient_id: string; clinic_id: string }>> {
    if (referralIds.length === 0) return new Map();
    const rows = await queryRows<{ referral_id: string; patient_id: string; clinic_id: string }>(
      tx,
      sql`SELECT r.id AS referral_id, p.id AS patient_id, p.clinic_id
            FROM referrals r JOIN patients p ON p.id = r.patient_id
           WHERE r.id = ANY(${uuids(referralIds)}) AND coalesce(p.email, '') <> ''
             AND EXISTS (SELECT 1 FROM patient_consents c
                          WHERE c.patient_id = p.id AND c.scope = 'patient_notifications' AND c.revoked_at IS NULL)`,
      { prepare: true },
    );
    return new Map(rows.map((r) => [r.referral_id, r]));
  }

  /**
   * The invitation emails planned since `since` for these invites (`invite:<id>` recipient keys), as
   * `<recipient key>|<outbox event type>` (the event that asked for each: a send, a reminder, a new link).
   */
  async inviteEmailsSince(tx: EntityManager, recipientKeys: string[], since: Date): Promise<Set<string>> {
    if (recipientKeys.length === 0) return new Set();
    const rows = await queryRows<{ recipient_key: string; type: string }>(
      tx,
      sql`SELECT DISTINCT d.recipient_key, o.type FROM notification_deliveries d JOIN outbox_events o ON o.id = d.outbox_event_id
           WHERE d.notification_type = ${sql.param(REFERRAL_INVITE_EMAIL, 'text')} AND d.recipient_key = ANY(${sql.param(recipientKeys, 'text[]')})
             AND d.created_at >= ${sql.param(since, 'timestamptz')}`,
      { prepare: true },
    );
    return new Set(rows.map((r) => `${r.recipient_key}|${r.type}`));
  }

  /** The invited user (and clinic) of each invitation. */
  async invitedUsers(tx: EntityManager, invitationIds: string[]): Promise<Map<string, { user_id: string; clinic_id: string }>> {
    const rows = await queryRows<{ id: string; user_id: string; clinic_id: string }>(
      tx,
      sql`SELECT i.id, i.user_id, u.clinic_id FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.id = ANY(${uuids(invitationIds)})`,
      { prepare: true },
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The user (and clinic) of each password reset. */
  async passwordResetUsers(tx: EntityManager, resetIds: string[]): Promise<Map<string, { user_id: string; clinic_id: string }>> {
    const rows = await queryRows<{ id: string; user_id: string; clinic_id: string }>(
      tx,
      sql`SELECT r.id, r.user_id, u.clinic_id FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.id = ANY(${uuids(resetIds)})`,
      { prepare: true },
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  async usersWithEmailOff(tx: EntityManager, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      tx,
      sql`SELECT user_id FROM notification_preferences WHERE user_id = ANY(${uuids(userIds)}) AND channel = 'email' AND NOT enabled`,
      { prepare: true },
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** The live webhooks of these clinics. */
  async webhooksOf(tx: EntityManager, clinicIds: string[]): Promise<{ id: string; clinic_id: string; event_types: string[] }[]> {
    return queryRows(
      tx,
      sql`SELECT id, clinic_id, event_types FROM webhooks WHERE clinic_id = ANY(${uuids(clinicIds)}) AND deleted_at IS NULL ORDER BY id`,
      { prepare: true },
    );
  }

  /**
   * One statement: delivery rows that do not exist yet, and the in-app notification of each new
   * in-app row. Rows go in key order, so two overlapping batches lock keys in the same order.
   * A notification's time is when what it tells of happened (its timeline event, else its outbox
   * row), not when the worker wrote it: an inbox reads in the order things happened, however the
   * relay batched them.
   * In-app rows are delivered at `now` (the Clock's). Answers the new email/webhook rows, which
   * still need a delivery job.
   */
  async insertDeliveries(tx: EntityManager, planned: PlannedDelivery[], now: Date): Promise<PendingDelivery[]> {
    const seen = new Set<string>();
    const rows = planned
      .map((row) => ({ row, key: `${row.outboxEventId}|${row.recipientKey}|${row.channel}` }))
      .filter(({ key }) => !seen.has(key) && seen.add(key))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ row }) => row);
    if (rows.length === 0) return [];
    const column = <K extends keyof PlannedDelivery>(key: K, cast: 'uuid[]' | 'text[]') =>
      sql.param(
        rows.map((row) => row[key]),
        cast,
      );
    return queryRows<PendingDelivery>(
      tx,
      sql`WITH input AS (
            SELECT * FROM unnest(${column('outboxEventId', 'uuid[]')}, ${column('channel', 'text[]')}, ${column('recipientKey', 'text[]')},
                                 ${column('userId', 'uuid[]')}, ${column('webhookId', 'uuid[]')}, ${column('clinicId', 'uuid[]')},
                                 ${column('notificationType', 'text[]')}, ${column('referralId', 'uuid[]')}, ${column('status', 'text[]')},
                                 ${column('event', 'text[]')}, ${column('title', 'text[]')}, ${column('body', 'text[]')})
              AS t(outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
                   event, title, body)
          ), inserted AS (
            INSERT INTO notification_deliveries
              (outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
               attempts, delivered_at)
            SELECT outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
                   CASE WHEN status = 'delivered' THEN 1 ELSE 0 END, CASE WHEN status = 'delivered' THEN ${sql.param(now, 'timestamptz')} END
              FROM input
            ON CONFLICT ON CONSTRAINT notification_deliveries_dedup_key DO NOTHING
            RETURNING id, retry_count, outbox_event_id, recipient_key, channel, status
          ), notified AS (
            INSERT INTO notifications (user_id, type, referral_id, title, body, created_at)
            SELECT i.user_id, i.event, i.referral_id, i.title, i.body, coalesce(e.occurred_at, o.created_at)
              FROM inserted d JOIN input i USING (outbox_event_id, recipient_key, channel)
              JOIN outbox_events o ON o.id = d.outbox_event_id
              LEFT JOIN referral_events e ON e.id = o.referral_event_id
             WHERE d.channel = 'in_app'
          )
          SELECT id, retry_count AS "retryCount" FROM inserted WHERE status = 'pending' ORDER BY id`,
      { prepare: true },
    );
  }

  /** The deliveries an admin asked to send again that are still pending (see RETRY_DELIVERY_EVENT). */
  async pendingByIds(tx: EntityManager, ids: string[]): Promise<PendingDelivery[]> {
    if (ids.length === 0) return [];
    return queryRows<PendingDelivery>(
      tx,
      sql`SELECT id, retry_count AS "retryCount" FROM notification_deliveries WHERE id = ANY(${uuids(ids)}) AND status = 'pending'`,
      { prepare: true },
    );
  }
}
