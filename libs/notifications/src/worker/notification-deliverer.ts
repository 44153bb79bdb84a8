import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@referloop/common';
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
import { invitationEmail, passwordResetEmail, referralEmail, referralInviteEmail, sideOfAudience } from '../notification-texts';
import { zonedWhen } from '../texts/email-body';
import { patientEmail, patientEventOf, supersedingEventTypes } from '../texts/patient.en';
import { unsubscribeToken, unsubscribeUrl } from '../unsubscribe-token';
import { type ClaimedDelivery, DeliveryStore } from '../store/delivery.store';
import { REFERRAL_INVITE_EMAIL, reminderStillDue } from '../who-is-told';
import { NotificationDispatcher, type ReferralEvent } from './notification-dispatcher';

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
    private readonly store: DeliveryStore,
    private readonly email: EmailChannel,
    private readonly webhook: WebhookChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly dispatcher: NotificationDispatcher,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async deliver(deliveryId: string): Promise<DeliveryOutcome> {
    // Claim: one send at a time per delivery, counted as an attempt; the lease ends with the result.
    const d = await this.store.claim(deliveryId, SEND_LEASE_SECONDS, this.clock.now());
    if (!d) {
      const current = await this.store.status(deliveryId);
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
      const content = invitationEmail(
        d.inviting_clinic ?? '',
        url,
        d.invitation_expires_at!,
        d.inviting_clinic_timezone ?? 'UTC',
      );
      await this.email.send({ to: d.email, ...content, messageId: d.id });
    } else if (d.notification_type === REFERRAL_INVITE_EMAIL) {
      if (!d.referral_invite_id || !d.referral_invite_email || !d.referral_invite_open)
        return this.markSkipped(deliveryId, 'referral invite no longer open');
      const token = referralInviteToken(this.config.jwt.secret, d.referral_invite_id, d.referral_invite_token_version!);
      if (sha256(token) !== d.referral_invite_token_hash)
        throw new Error('the referral invite link cannot be rebuilt with the current key');
      const content = referralInviteEmail(
        d.sender_clinic ?? '',
        referralInviteUrl(this.config.publicUrl, token),
        d.urgent === true,
      );
      await this.email.send({ to: d.referral_invite_email, ...content, messageId: d.id });
    } else if (d.notification_type === PASSWORD_RESET_REQUESTED_EVENT) {
      if (!d.email || !d.password_reset_id || !d.password_reset_open)
        return this.markSkipped(deliveryId, 'password reset no longer open');
      const content = passwordResetEmail(
        passwordResetUrl(this.config.publicUrl, passwordResetToken(this.config.jwt.secret, d.password_reset_id)),
      );
      await this.email.send({ to: d.email, ...content, messageId: d.id });
    } else if (d.channel === 'email') {
      // Stand-in admins are told in their place (the fan-out decides that); a send left over from before goes nowhere.
      if (d.user_deactivated) return this.markSkipped(deliveryId, 'user deactivated');
      // Turned off since the fan-out (this is a retry, or it waited in a backlog): the preference holds now.
      if (d.user_email_off) return this.markSkipped(deliveryId, 'email turned off');
      // "Waiting for your decision" once it was decided, "report due" once reported: no longer true.
      if (
        !reminderStillDue(d.notification_type, {
          status: d.referral_status,
          progressReportedSince: d.progress_reported_since === true,
        })
      )
        return this.markSkipped(deliveryId, 'no longer due');
      const told = await this.told(d);
      if (!d.email || !told) return this.markSkipped(deliveryId, 'nothing to send');
      // Headed by the clinic of the side told; no patient data, as in-app.
      const clinic = sideOfAudience(told.audience) === 'sender' ? d.sender_clinic : d.recipient_clinic;
      const content = referralEmail(told, clinic ?? 'ReferLoop', told.audience, this.link(d));
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
          occurredAt: d.occurred_at.toISOString(),
          clinicId: d.clinic_id,
          referralId: d.referral_id,
          // Urgent referrals say so on every channel; the priority is no patient data.
          data: { fromStatus: d.from_status, toStatus: d.to_status, urgent: d.urgent === true },
          url: d.referral_id ? this.link(d) : null,
        },
      });
    }
    await this.recordDelivered(deliveryId);
    return 'delivered';
  }

  /**
   * The patient's email, from what is true now: their address and an active `patient_notifications`
   * consent (revoked since the fan-out: skipped), whether a later event told them more (skipped),
   * the clinic they were referred to, and the appointment the event set (in the clinic's zone).
   */
  private async sendToPatient(d: ClaimedDelivery): Promise<DeliveryOutcome | undefined> {
    const event = patientEventOf(d.notification_type.replace(/^referral\./, ''));
    const p = await this.store.patientFacts(d.id, event ? supersedingEventTypes(event) : []);
    // No row: the referral went to someone not on ReferLoop yet (no recipient clinic to name).
    if (!p) return this.markSkipped(d.id, 'recipient not on ReferLoop yet');
    if (!p.email || !event) return this.markSkipped(d.id, 'no email address');
    if (!p.consent_id) return this.markSkipped(d.id, 'consent revoked');
    // Sent late (a retry, a backlog), "your appointment is booked" would arrive after "your referral
    // was cancelled": the later event's email tells the patient what stands.
    if (p.superseded) return this.markSkipped(d.id, 'superseded by a later email');
    const unsubscribe = unsubscribeUrl(this.config.publicUrl, unsubscribeToken(this.config.jwt.secret, p.consent_id));
    const content = patientEmail(event, {
      senderClinic: p.sender_clinic,
      recipientName: p.recipient_name,
      recipientClinic: p.recipient_clinic,
      recipientPhone: p.recipient_phone,
      recipientAddress: p.recipient_address,
      appointment: p.appointment_at ? zonedWhen(p.appointment_at, p.timezone) : null,
      urgent: p.urgent,
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
    // When it was sent, not when a retry finally recorded it.
    const at = this.clock.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.store.recordDelivered(deliveryId, at);
        return;
      } catch (error) {
        if (attempt >= RECORD_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS * attempt));
      }
    }
  }

  /** After the last attempt: the delivery lands in the admins' failed list. */
  async markFailed(deliveryId: string, error: string): Promise<void> {
    await this.store.markFailed(deliveryId, error, this.clock.now());
  }

  async recordError(deliveryId: string, error: string): Promise<void> {
    // The send is over: the lease goes, so the retry need not wait for it.
    await this.store.recordError(deliveryId, error);
  }

  private async markSkipped(deliveryId: string, reason: string): Promise<DeliveryOutcome> {
    await this.store.markSkipped(deliveryId, reason);
    return 'skipped';
  }

  /**
   * What the practitioner of this email is told, decided where their in-app notification is (the
   * dispatcher's fan-out): their side (a stand-in admin reads the side they stand in for; a
   * reassignment reads by the side that changed hands) and its text.
   */
  private async told(d: ClaimedDelivery) {
    if (!d.user_id || !d.referral_id || !d.sender_id || !d.sender_clinic_id) return undefined;
    const event: ReferralEvent = {
      id: d.outbox_event_id,
      type: d.notification_type,
      referral_id: d.referral_id,
      payload: d.payload,
      sender_id: d.sender_id,
      recipient_id: d.recipient_id,
      sender_clinic_id: d.sender_clinic_id,
      recipient_clinic_id: d.recipient_clinic_id,
      recipient_invite_id: d.recipient_invite_id,
      sent: d.sent,
      sender_clinic: d.sender_clinic,
      recipient_clinic: d.recipient_clinic,
      urgent: d.urgent,
    };
    return this.dispatcher.toldOf(this.db.manager, event, { userId: d.user_id, clinicId: d.clinic_id });
  }

  private link(d: ClaimedDelivery): string {
    return `${this.config.publicUrl}/referrals/${d.referral_id}`;
  }
}
