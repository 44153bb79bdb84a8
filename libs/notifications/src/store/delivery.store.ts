import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows, sql } from '@referloop/database';
import { INVITATION_CREATED_EVENT, PASSWORD_RESET_REQUESTED_EVENT } from '@referloop/identity';
import { DataSource } from 'typeorm';
import type { DeliveryChannel } from '../entities';
import type { EventRow } from './dispatch.store';
import { REFERRAL_INVITE_EMAIL } from '../who-is-told';

/** A delivery this job claimed, with what sending it needs (recipient, webhook, referral, invitation). */
export interface ClaimedDelivery {
  id: string;
  channel: DeliveryChannel;
  user_id: string | null;
  webhook_id: string | null;
  clinic_id: string;
  notification_type: string;
  referral_id: string | null;
  outbox_event_id: string;
  /** The outbox event's payload (a reassignment's side, who acted): what its fan-out decided by. */
  payload: EventRow['payload'];
  /** When the event happened: its timeline event's time, else when its outbox row was written (not when it was fanned out). */
  occurred_at: Date;
  email: string | null;
  /** The user told has been deactivated since (they left the clinic): their address is sent nothing more. */
  user_deactivated: boolean | null;
  /** The user told has turned email off since the fan-out (GET|PUT /me/notification-preferences): in-app only now. */
  user_email_off: boolean | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_deleted: boolean | null;
  /** The referral's parties, as its fan-out reads them (see EventRow). */
  sender_id: string | null;
  sender_clinic_id: string | null;
  recipient_id: string | null;
  recipient_invite_id: string | null;
  sent: boolean | null;
  sender_clinic: string | null;
  recipient_clinic: string | null;
  urgent: boolean | null;
  recipient_clinic_id: string | null;
  /** The referral's status now (a reminder's email is sent only while it still holds). */
  referral_status: string | null;
  /** `progress_report_due`: progress was reported after the reminder (null for other types). */
  progress_reported_since: boolean | null;
  from_status: string | null;
  to_status: string | null;
  /** Invitation emails: the invitation, whether it is still open (and the user not deactivated), and the inviting clinic. */
  invitation_id: string | null;
  invitation_token_hash: string | null;
  invitation_token_version: number | null;
  invitation_link_base: string | null;
  invitation_expires_at: Date | null;
  invitation_open: boolean | null;
  inviting_clinic: string | null;
  inviting_clinic_timezone: string | null;
  /** Password reset emails: the reset, and whether it is still unused, unexpired and for an active account. */
  password_reset_id: string | null;
  password_reset_open: boolean | null;
  /** Referral invite emails: the invite's address and current link version; open while nobody joined. */
  referral_invite_id: string | null;
  referral_invite_email: string | null;
  referral_invite_token_version: number | null;
  referral_invite_token_hash: string | null;
  referral_invite_open: boolean | null;
}

/** What a patient's email needs, read when it is sent. */
export interface PatientFacts {
  email: string | null;
  consent_id: string | null;
  recipient_name: string;
  sender_clinic: string;
  recipient_clinic: string;
  recipient_phone: string;
  recipient_address: string;
  timezone: string;
  appointment_at: Date | null;
  urgent: boolean;
  /** One of the superseding events happened after this one: its email says what stands now. */
  superseded: boolean;
}

/**
 * The deliverer's and the reconciler's statements on notification_deliveries (worker side): claim
 * a delivery under a lease with everything sending it needs, read a patient's facts when sending,
 * record the outcome.
 */
@Injectable()
export class DeliveryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims a pending delivery nobody is sending (one attempt, a lease of `leaseSeconds`); undefined
   * when it cannot be claimed. Whether an invitation or reset is still open is judged at `now`, the
   * Clock's, like every other check of those expiries; the lease runs on the database's clock.
   */
  async claim(deliveryId: string, leaseSeconds: number, now: Date): Promise<ClaimedDelivery | undefined> {
    const at = sql.param(now, 'timestamptz');
    const [row] = await queryRows<ClaimedDelivery>(
      this.db.manager,
      sql`WITH claimed AS (
         UPDATE notification_deliveries SET attempts = attempts + 1, sending_until = now() + make_interval(secs => ${sql.param(leaseSeconds, 'int')})
          WHERE id = ${sql.param(deliveryId, 'uuid')} AND status = 'pending' AND (sending_until IS NULL OR sending_until < now())
          RETURNING *
       )
       SELECT d.id, d.channel, d.user_id, d.webhook_id, d.clinic_id, d.notification_type, d.referral_id,
              d.outbox_event_id, o.payload, coalesce(e.occurred_at, o.created_at) AS occurred_at,
              u.email, u.deactivated_at IS NOT NULL AS user_deactivated,
              EXISTS (SELECT 1 FROM notification_preferences np
                       WHERE np.user_id = d.user_id AND np.channel = 'email' AND NOT np.enabled) AS user_email_off,
              w.url AS webhook_url, w.secret AS webhook_secret, (w.deleted_at IS NOT NULL) AS webhook_deleted,
              r.sender_id, r.sender_clinic_id, r.recipient_id, r.recipient_invite_id, r.sent_at IS NOT NULL AS sent,
              sc.name AS sender_clinic, tc.name AS recipient_clinic, r.recipient_clinic_id,
              r.priority = 'urgent' AS urgent, r.status AS referral_status,
              CASE WHEN d.notification_type = 'referral.progress_report_due' THEN
                EXISTS (SELECT 1 FROM referral_progress g
                         WHERE g.referral_id = r.id AND g.reported_at > coalesce(e.occurred_at, o.created_at)) END
                AS progress_reported_since,
              o.payload->>'fromStatus' AS from_status, o.payload->>'toStatus' AS to_status,
              i.id AS invitation_id, i.token_hash AS invitation_token_hash, i.token_version AS invitation_token_version,
              i.link_base AS invitation_link_base, i.expires_at AS invitation_expires_at,
              -- An email of an earlier token version would carry a dead link: only the newest is sent.
              (i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ${at} AND u.deactivated_at IS NULL
                AND i.token_version = COALESCE((o.payload->>'tokenVersion')::int, 1)) AS invitation_open,
              ic.name AS inviting_clinic, ic.timezone AS inviting_clinic_timezone,
              pr.id AS password_reset_id, (pr.used_at IS NULL AND pr.expires_at > ${at} AND u.deactivated_at IS NULL) AS password_reset_open,
              ri.id AS referral_invite_id, ri.email AS referral_invite_email, ri.token_version AS referral_invite_token_version,
              ri.token_hash AS referral_invite_token_hash,
              -- A newer link was made meanwhile: that one's own email carries it.
              (ri.joined_at IS NULL AND r.recipient_id IS NULL AND r.status NOT IN ('cancelled', 'expired')
                AND ri.token_version = COALESCE((o.payload->>'tokenVersion')::int, ri.token_version)) AS referral_invite_open
         FROM claimed d
         JOIN outbox_events o ON o.id = d.outbox_event_id
         LEFT JOIN referral_events e ON e.id = o.referral_event_id
         LEFT JOIN invitations i ON d.notification_type = ${sql.param(INVITATION_CREATED_EVENT, 'text')} AND i.id = (o.payload->>'invitationId')::uuid
         LEFT JOIN clinics ic ON i.id IS NOT NULL AND ic.id = d.clinic_id
         LEFT JOIN password_resets pr ON d.notification_type = ${sql.param(PASSWORD_RESET_REQUESTED_EVENT, 'text')} AND pr.id = (o.payload->>'passwordResetId')::uuid
         LEFT JOIN users u ON u.id = d.user_id
         LEFT JOIN webhooks w ON w.id = d.webhook_id
         LEFT JOIN referrals r ON r.id = d.referral_id
         LEFT JOIN clinics sc ON sc.id = r.sender_clinic_id
         LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
         LEFT JOIN referral_invites ri ON d.notification_type = ${sql.param(REFERRAL_INVITE_EMAIL, 'text')} AND ri.id = r.recipient_invite_id`,
      { prepare: true },
    );
    return row;
  }

  async status(deliveryId: string): Promise<{ status: string; sending_until: Date | null } | undefined> {
    const [row] = await queryRows<{ status: string; sending_until: Date | null }>(
      this.db.manager,
      sql`SELECT status, sending_until FROM notification_deliveries WHERE id = ${sql.param(deliveryId, 'uuid')}`,
    );
    return row;
  }

  /**
   * What a patient's email needs, as it is now; undefined when the referral has no recipient clinic
   * yet. `superseded`: an event of `supersedingTypes` happened after the delivery's own.
   */
  async patientFacts(deliveryId: string, supersedingTypes: readonly string[]): Promise<PatientFacts | undefined> {
    const [row] = await queryRows<PatientFacts>(
      this.db.manager,
      sql`SELECT pt.email, c.id AS consent_id, t.full_name AS recipient_name, sc.name AS sender_clinic, tc.name AS recipient_clinic,
              tc.phone AS recipient_phone, tc.timezone,
              concat_ws(', ', tc.address_line1, tc.address_city, tc.address_region || ' ' || tc.address_postal_code) AS recipient_address,
              coalesce((e.data->>'appointmentAt')::timestamptz, (e.data->>'previousAppointmentAt')::timestamptz, r.appointment_at)
                AS appointment_at,
              r.priority = 'urgent' AS urgent,
              EXISTS (SELECT 1 FROM referral_events later
                       WHERE later.referral_id = r.id AND later.type = ANY(${sql.param(supersedingTypes, 'text[]')})
                         AND later.occurred_at > e.occurred_at) AS superseded
         FROM notification_deliveries d
         JOIN outbox_events o ON o.id = d.outbox_event_id
         LEFT JOIN referral_events e ON e.id = o.referral_event_id
         JOIN referrals r ON r.id = d.referral_id
         JOIN patients pt ON pt.id = r.patient_id
         JOIN users t ON t.id = r.recipient_id
         JOIN clinics sc ON sc.id = r.sender_clinic_id
         JOIN clinics tc ON tc.id = r.recipient_clinic_id
         LEFT JOIN patient_consents c ON c.patient_id = pt.id AND c.scope = 'patient_notifications' AND c.revoked_at IS NULL
        WHERE d.id = ${sql.param(deliveryId, 'uuid')}`,
    );
    return row;
  }

  /** The send happened at `at` (the Clock's). */
  async recordDelivered(deliveryId: string, at: Date): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`UPDATE notification_deliveries SET status = 'delivered', delivered_at = ${sql.param(at, 'timestamptz')}, last_error = NULL, sending_until = NULL
           WHERE id = ${sql.param(deliveryId, 'uuid')}`,
      { prepare: true },
    );
  }

  /** After the last attempt: the delivery lands in the admins' failed list (failed at `at`, the Clock's). */
  async markFailed(deliveryId: string, error: string, at: Date): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`UPDATE notification_deliveries SET status = 'failed', failed_at = ${sql.param(at, 'timestamptz')}, last_error = ${error.slice(0, 500)}, sending_until = NULL
           WHERE id = ${sql.param(deliveryId, 'uuid')} AND status = 'pending'`,
    );
  }

  /** The send is over (it failed; a retry follows): the lease goes, so the retry need not wait for it. */
  async recordError(deliveryId: string, error: string): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`UPDATE notification_deliveries SET last_error = ${error.slice(0, 500)}, sending_until = NULL WHERE id = ${sql.param(deliveryId, 'uuid')}`,
    );
  }

  /** Nothing left to send (a deleted webhook, an invitation accepted meanwhile): `skipped`, with why. */
  async markSkipped(deliveryId: string, reason: string): Promise<void> {
    await queryRows(
      this.db.manager,
      sql`UPDATE notification_deliveries SET status = 'skipped', last_error = ${reason}, sending_until = NULL
           WHERE id = ${sql.param(deliveryId, 'uuid')}`,
    );
  }

  /**
   * A keyset page of pending email/webhook deliveries older than `grace` (younger ones may still be
   * on their way to the queue), oldest first. created_at as text: a Date would drop the microseconds.
   */
  pendingPage(
    grace: '10 seconds',
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<{ id: string; retryCount: number; attempts: number; createdAt: string }[]> {
    const from = after
      ? sql` AND (created_at, id) > (${sql.param(after.createdAt, 'timestamptz')}, ${sql.param(after.id, 'uuid')})`
      : sql.empty;
    return queryRows(
      this.db.manager,
      sql`SELECT id, retry_count AS "retryCount", attempts, created_at::text AS "createdAt" FROM notification_deliveries
           WHERE status = 'pending' AND channel <> 'in_app' AND created_at < now() - ${sql.param(grace, 'interval')}${from}
           ORDER BY created_at, id LIMIT ${sql.param(limit, 'int')}`,
    );
  }
}
