import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import {
  INVITATION_CREATED_EVENT,
  invitationToken,
  invitationUrl,
  PASSWORD_RESET_REQUESTED_EVENT,
  passwordResetToken,
  passwordResetUrl,
  referralInviteToken,
  referralInviteUrl,
  sha256,
} from '@referloop/identity';
import { DataSource } from 'typeorm';
import { EmailChannel } from '../channels/email.channel';
import { WebhookChannel } from '../channels/webhook.channel';
import type { DeliveryChannel } from '../entities';
import {
  type Audience,
  INVITED_RECIPIENT,
  invitationEmail,
  notificationText,
  passwordResetEmail,
  referralEmail,
  referralInviteEmail,
} from '../notification-texts';
import { appointmentWhen, isPatientEvent, patientEmail } from '../texts/patient.en';
import { unsubscribeToken, unsubscribeUrl } from '../unsubscribe-token';
import { REFERRAL_INVITE_EMAIL } from './notification-dispatcher';

/** A delivery this job claimed, with what sending it needs (recipient, webhook, referral, invitation). */
interface ClaimedDelivery {
  id: string;
  channel: DeliveryChannel;
  user_id: string | null;
  webhook_id: string | null;
  clinic_id: string;
  notification_type: string;
  referral_id: string | null;
  created_at: Date;
  email: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_deleted: boolean | null;
  sender_id: string | null;
  sender_clinic: string | null;
  recipient_clinic: string | null;
  urgent: boolean | null;
  recipient_clinic_id: string | null;
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
interface PatientFacts {
  email: string | null;
  consent_id: string | null;
  recipient_name: string;
  sender_clinic: string;
  recipient_clinic: string;
  recipient_phone: string;
  recipient_address: string;
  timezone: string;
  appointment_at: Date | null;
}

export type DeliveryOutcome = 'delivered' | 'skipped';

/** Another job is sending this delivery right now; try again once its lease has run out. */
export class DeliveryBusyError extends Error {
  constructor(readonly retryAt: Date) {
    super('another job is sending this delivery');
  }
}

/** Recording a sent delivery: 6 tries over ~7.5 s. */
const RECORD_ATTEMPTS = 6;
const RECORD_RETRY_MS = 500;
/** How long a send holds its delivery: longer than a send can take (webhook timeout, SMTP timeouts). */
export const SEND_LEASE_SECONDS = 30;

/** Sends one email or webhook delivery and records the result. Re-reads current state first. */
@Injectable()
export class NotificationDeliverer {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly email: EmailChannel,
    private readonly webhook: WebhookChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async deliver(deliveryId: string): Promise<DeliveryOutcome> {
    // Claim: one send at a time per delivery, counted as an attempt; the lease ends with the result.
    const [d]: ClaimedDelivery[] = await this.db.query(
      `WITH claimed AS (
         UPDATE notification_deliveries SET attempts = attempts + 1, sending_until = now() + make_interval(secs => $2)
          WHERE id = $1 AND status = 'pending' AND (sending_until IS NULL OR sending_until < now())
          RETURNING *
       )
       SELECT d.id, d.channel, d.user_id, d.webhook_id, d.clinic_id, d.notification_type, d.referral_id, d.created_at,
              u.email, w.url AS webhook_url, w.secret AS webhook_secret, (w.deleted_at IS NOT NULL) AS webhook_deleted,
              r.sender_id, sc.name AS sender_clinic, tc.name AS recipient_clinic, r.recipient_clinic_id,
              r.priority = 'urgent' AS urgent,
              o.payload->>'fromStatus' AS from_status, o.payload->>'toStatus' AS to_status,
              i.id AS invitation_id, i.token_hash AS invitation_token_hash, i.token_version AS invitation_token_version,
              i.link_base AS invitation_link_base, i.expires_at AS invitation_expires_at,
              -- An email of an earlier token version would carry a dead link: only the newest is sent.
              (i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now() AND u.deactivated_at IS NULL
                AND i.token_version = COALESCE((o.payload->>'tokenVersion')::int, 1)) AS invitation_open,
              ic.name AS inviting_clinic,
              pr.id AS password_reset_id, (pr.used_at IS NULL AND pr.expires_at > now() AND u.deactivated_at IS NULL) AS password_reset_open,
              ri.id AS referral_invite_id, ri.email AS referral_invite_email, ri.token_version AS referral_invite_token_version,
              ri.token_hash AS referral_invite_token_hash,
              -- A newer link was made meanwhile: that one's own email carries it.
              (ri.joined_at IS NULL AND r.recipient_id IS NULL AND r.status NOT IN ('cancelled', 'expired')
                AND ri.token_version = COALESCE((o.payload->>'tokenVersion')::int, ri.token_version)) AS referral_invite_open
         FROM claimed d
         JOIN outbox_events o ON o.id = d.outbox_event_id
         LEFT JOIN invitations i ON d.notification_type = '${INVITATION_CREATED_EVENT}' AND i.id = (o.payload->>'invitationId')::uuid
         LEFT JOIN clinics ic ON i.id IS NOT NULL AND ic.id = d.clinic_id
         LEFT JOIN password_resets pr ON d.notification_type = '${PASSWORD_RESET_REQUESTED_EVENT}' AND pr.id = (o.payload->>'passwordResetId')::uuid
         LEFT JOIN users u ON u.id = d.user_id
         LEFT JOIN webhooks w ON w.id = d.webhook_id
         LEFT JOIN referrals r ON r.id = d.referral_id
         LEFT JOIN clinics sc ON sc.id = r.sender_clinic_id
         LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
         LEFT JOIN referral_invites ri ON d.notification_type = '${REFERRAL_INVITE_EMAIL}' AND ri.id = r.recipient_invite_id`,
      [deliveryId, SEND_LEASE_SECONDS],
    );
    if (!d) {
      const [current]: { status: string; sending_until: Date | null }[] = await this.db.query(
        `SELECT status, sending_until FROM notification_deliveries WHERE id = $1`,
        [deliveryId],
      );
      // Gone, already delivered, or given up on: nothing to do (a duplicate job is harmless).
      if (current?.status !== 'pending' || !current.sending_until) return 'skipped';
      throw new DeliveryBusyError(current.sending_until);
    }

    if (d.channel === 'patient_email') {
      const outcome = await this.sendToPatient(d);
      if (outcome === 'skipped') return outcome;
    } else if (d.notification_type === INVITATION_CREATED_EVENT) {
      // Accepted, revoked, re-sent or expired meanwhile (or the link was handed over and used): nothing to send.
      if (!d.email || !d.invitation_id || !d.invitation_open) return this.markSkipped(deliveryId, 'invitation no longer open');
      const token = invitationToken(this.config.jwt.secret, d.invitation_id, d.invitation_token_version!);
      // Made under another key (the secret changed, or before invitation keys were derived): a
      // link from here would not work; it fails visibly and the admin resends the invitation.
      if (sha256(token) !== d.invitation_token_hash)
        throw new Error('the invitation link cannot be rebuilt with the current key');
      const url = invitationUrl(this.config, d.invitation_link_base, token);
      const content = invitationEmail(d.inviting_clinic ?? '', url, d.invitation_expires_at!);
      await this.email.send({ to: d.email, ...content, messageId: d.id });
    } else if (d.notification_type === REFERRAL_INVITE_EMAIL) {
      if (!d.referral_invite_id || !d.referral_invite_email || !d.referral_invite_open)
        return this.markSkipped(deliveryId, 'referral invite no longer open');
      const token = referralInviteToken(this.config.jwt.secret, d.referral_invite_id, d.referral_invite_token_version!);
      if (sha256(token) !== d.referral_invite_token_hash)
        throw new Error('the referral invite link cannot be rebuilt with the current key');
      const content = referralInviteEmail(d.sender_clinic ?? '', referralInviteUrl(this.config.publicUrl, token));
      await this.email.send({ to: d.referral_invite_email, ...content, messageId: d.id });
    } else if (d.notification_type === PASSWORD_RESET_REQUESTED_EVENT) {
      if (!d.email || !d.password_reset_id || !d.password_reset_open)
        return this.markSkipped(deliveryId, 'password reset no longer open');
      const content = passwordResetEmail(
        passwordResetUrl(this.config.publicUrl, passwordResetToken(this.config.jwt.secret, d.password_reset_id)),
      );
      await this.email.send({ to: d.email, ...content, messageId: d.id });
    } else if (d.channel === 'email') {
      const text = this.text(d);
      if (!d.email || !text) return this.markSkipped(deliveryId, 'nothing to send');
      // Headed by the clinic of the practitioner told; no patient data, as in-app.
      const clinic = d.clinic_id === d.recipient_clinic_id ? d.recipient_clinic : d.sender_clinic;
      const content = referralEmail(text, clinic ?? 'ReferLoop', this.link(d));
      await this.email.send({ to: d.email, ...content, messageId: d.id });
    } else if (d.channel === 'webhook') {
      if (!d.webhook_url || !d.webhook_secret || d.webhook_deleted) return this.markSkipped(deliveryId, 'webhook deleted');
      await this.webhook.send({
        url: d.webhook_url,
        secret: d.webhook_secret,
        deliveryId: d.id,
        payload: {
          id: d.id,
          event: d.notification_type,
          occurredAt: d.created_at.toISOString(),
          clinicId: d.clinic_id,
          referralId: d.referral_id,
          data: { fromStatus: d.from_status, toStatus: d.to_status },
          url: d.referral_id ? this.link(d) : null,
        },
      });
    }
    await this.recordDelivered(deliveryId);
    return 'delivered';
  }

  /**
   * The patient's email, from what is true now: their address and an active `patient_notifications`
   * consent (revoked since the fan-out: skipped), the clinic they were referred to, and the
   * appointment the event set (in the clinic's zone).
   */
  private async sendToPatient(d: ClaimedDelivery): Promise<DeliveryOutcome | undefined> {
    const event = d.notification_type.replace(/^referral\./, '');
    const [p]: PatientFacts[] = await this.db.query(
      `SELECT pt.email, c.id AS consent_id, t.full_name AS recipient_name, sc.name AS sender_clinic, tc.name AS recipient_clinic,
              tc.phone AS recipient_phone, tc.timezone,
              concat_ws(', ', tc.address_line1, tc.address_city, tc.address_region || ' ' || tc.address_postal_code) AS recipient_address,
              coalesce((e.data->>'appointmentAt')::timestamptz, r.appointment_at) AS appointment_at
         FROM notification_deliveries d
         JOIN outbox_events o ON o.id = d.outbox_event_id
         LEFT JOIN referral_events e ON e.id = o.referral_event_id
         JOIN referrals r ON r.id = d.referral_id
         JOIN patients pt ON pt.id = r.patient_id
         JOIN users t ON t.id = r.recipient_id
         JOIN clinics sc ON sc.id = r.sender_clinic_id
         JOIN clinics tc ON tc.id = r.recipient_clinic_id
         LEFT JOIN patient_consents c ON c.patient_id = pt.id AND c.scope = 'patient_notifications' AND c.revoked_at IS NULL
        WHERE d.id = $1`,
      [d.id],
    );
    // No row: the referral went to someone not on ReferLoop yet (no recipient clinic to name).
    if (!p) return this.markSkipped(d.id, 'recipient not on ReferLoop yet');
    if (!p.email || !isPatientEvent(event)) return this.markSkipped(d.id, 'no email address');
    if (!p.consent_id) return this.markSkipped(d.id, 'consent revoked');
    const unsubscribe = unsubscribeUrl(this.config.publicUrl, unsubscribeToken(this.config.jwt.secret, p.consent_id));
    const content = patientEmail(event, {
      senderClinic: p.sender_clinic,
      recipientName: p.recipient_name,
      recipientClinic: p.recipient_clinic,
      recipientPhone: p.recipient_phone,
      recipientAddress: p.recipient_address,
      appointment: p.appointment_at ? appointmentWhen(p.appointment_at, p.timezone) : null,
      unsubscribeUrl: unsubscribe,
    });
    await this.email.send({ to: p.email, ...content, unsubscribeUrl: unsubscribe, messageId: d.id });
    return undefined;
  }

  /**
   * The send has happened: failing to record it now means sending it again on the retry, so a
   * database blip (a restart, a failover) is waited out for a few seconds first.
   */
  private async recordDelivered(deliveryId: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.db.query(
          `UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL, sending_until = NULL WHERE id = $1`,
          [deliveryId],
        );
        return;
      } catch (error) {
        if (attempt >= RECORD_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS * attempt));
      }
    }
  }

  /** After the last attempt: the delivery lands in the admins' failed list. */
  async markFailed(deliveryId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE notification_deliveries SET status = 'failed', failed_at = now(), last_error = $2, sending_until = NULL
        WHERE id = $1 AND status = 'pending'`,
      [deliveryId, error.slice(0, 500)],
    );
  }

  async recordError(deliveryId: string, error: string): Promise<void> {
    // The send is over: the lease goes, so the retry need not wait for it.
    await this.db.query(`UPDATE notification_deliveries SET last_error = $2, sending_until = NULL WHERE id = $1`, [
      deliveryId,
      error.slice(0, 500),
    ]);
  }

  private async markSkipped(deliveryId: string, reason: string): Promise<DeliveryOutcome> {
    await this.db.query(
      `UPDATE notification_deliveries SET status = 'skipped', last_error = $2, sending_until = NULL WHERE id = $1`,
      [deliveryId, reason],
    );
    return 'skipped';
  }

  private text(d: ClaimedDelivery): { title: string; body: string } | undefined {
    const event = d.notification_type.replace(/^referral\./, '');
    const audience: Audience =
      d.user_id === d.sender_id
        ? 'sender'
        : event === 'escalated' && d.clinic_id === d.recipient_clinic_id
          ? 'recipient_admins'
          : 'recipient';
    return notificationText(event, audience, {
      senderClinic: d.sender_clinic ?? '',
      recipientClinic: d.recipient_clinic ?? INVITED_RECIPIENT,
      urgent: d.urgent === true,
    });
  }

  private link(d: ClaimedDelivery): string {
    return `${this.config.publicUrl}/referrals/${d.referral_id}`;
  }
}
