import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailChannel } from '../channels/email.channel';
import { RETRY_DELIVERY_EVENT } from '../notification-queue';
import { type Audience, audiencesFor, notificationText } from '../notification-texts';

interface OutboxRow {
  id: string;
  type: string;
  referral_id: string | null;
  payload: { fromStatus?: string | null; toStatus?: string; actorId?: string | null; deliveryId?: string };
}

interface ReferralFacts {
  id: string;
  sender_id: string;
  recipient_id: string;
  sender_clinic_id: string;
  recipient_clinic_id: string;
  sender_clinic: string;
  recipient_clinic: string;
}

interface Target {
  userId: string;
  clinicId: string;
  audience: Audience;
}

export interface PendingDelivery {
  id: string;
  retryCount: number;
}

/**
 * Turns one outbox event into deliveries: an in-app notification per recipient (written here, in
 * the same transaction as its delivery row), plus email and webhook deliveries for the delivery
 * jobs. The unique (event, recipient, channel) key makes a re-run insert nothing new; it then
 * only re-reports what is still pending, so a crash between commit and enqueue loses nothing.
 */
@Injectable()
export class NotificationDispatcher {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly email: EmailChannel,
  ) {}

  /** Returns the email/webhook deliveries that still need a delivery job. */
  async dispatch(outboxEventId: string): Promise<PendingDelivery[]> {
    return this.db.transaction(async (tx) => {
      const [event]: OutboxRow[] = await tx.query(`SELECT id, type, referral_id, payload FROM outbox_events WHERE id = $1`, [outboxEventId]);
      if (!event) return [];
      if (event.type === RETRY_DELIVERY_EVENT) return this.pendingById(tx, event.payload.deliveryId);
      if (event.type.startsWith('referral.') && event.referral_id) await this.fanOut(tx, event);
      return tx.query(
        `SELECT id, retry_count AS "retryCount" FROM notification_deliveries
          WHERE outbox_event_id = $1 AND status = 'pending' AND channel <> 'in_app'`,
        [event.id],
      );
    });
  }

  private async pendingById(tx: EntityManager, deliveryId: string | undefined): Promise<PendingDelivery[]> {
    if (!deliveryId) return [];
    return tx.query(`SELECT id, retry_count AS "retryCount" FROM notification_deliveries WHERE id = $1 AND status = 'pending'`, [deliveryId]);
  }

  private async fanOut(tx: EntityManager, event: OutboxRow): Promise<void> {
    const eventName = event.type.slice('referral.'.length);
    const [referral]: ReferralFacts[] = await tx.query(
      `SELECT r.id, r.sender_id, r.recipient_id, r.sender_clinic_id, r.recipient_clinic_id, sc.name AS sender_clinic, tc.name AS recipient_clinic
         FROM referrals r JOIN clinics sc ON sc.id = r.sender_clinic_id JOIN clinics tc ON tc.id = r.recipient_clinic_id
        WHERE r.id = $1`,
      [event.referral_id],
    );
    if (!referral) return;
    // Until a referral is sent, the recipient's side does not know it exists ('created' has no fromStatus).
    const { fromStatus, toStatus } = event.payload;
    const recipientSees = (fromStatus != null && fromStatus !== 'draft') || toStatus === 'sent';
    const context = { senderClinic: referral.sender_clinic, recipientClinic: referral.recipient_clinic };

    const targets: Target[] = [];
    const actorSide = await this.actorSide(tx, event.payload.actorId ?? null, referral);
    for (const audience of audiencesFor(eventName, actorSide)) {
      if (audience === 'sender') targets.push({ userId: referral.sender_id, clinicId: referral.sender_clinic_id, audience });
      if (audience === 'recipient' && recipientSees) {
        targets.push({ userId: referral.recipient_id, clinicId: referral.recipient_clinic_id, audience });
      }
      if (audience === 'recipient_admins') {
        const admins: { id: string }[] = await tx.query(`SELECT id FROM users WHERE clinic_id = $1 AND role = 'clinic_admin'`, [
          referral.recipient_clinic_id,
        ]);
        for (const admin of admins) targets.push({ userId: admin.id, clinicId: referral.recipient_clinic_id, audience });
      }
    }

    for (const target of targets) {
      const text = notificationText(eventName, target.audience, context);
      if (!text) continue;
      const inApp = await this.insertDelivery(tx, event, 'in_app', `user:${target.userId}`, target.userId, null, target.clinicId, 'delivered');
      if (inApp) {
        await tx.query(`INSERT INTO notifications (user_id, type, referral_id, title, body) VALUES ($1, $2, $3, $4, $5)`, [
          target.userId,
          eventName,
          referral.id,
          text.title,
          text.body,
        ]);
      }
      if (this.email.enabled && (await this.wantsEmail(tx, target.userId))) {
        await this.insertDelivery(tx, event, 'email', `user:${target.userId}`, target.userId, null, target.clinicId, 'pending');
      }
    }

    const clinics = recipientSees ? [referral.sender_clinic_id, referral.recipient_clinic_id] : [referral.sender_clinic_id];
    const webhooks: { id: string; clinic_id: string }[] = await tx.query(
      `SELECT id, clinic_id FROM webhooks
        WHERE clinic_id = ANY($1::uuid[]) AND deleted_at IS NULL AND ($2 = ANY(event_types) OR '*' = ANY(event_types))`,
      [[...new Set(clinics)], event.type],
    );
    for (const webhook of webhooks) {
      await this.insertDelivery(tx, event, 'webhook', `webhook:${webhook.id}`, null, webhook.id, webhook.clinic_id, 'pending');
    }
  }

  /** Inserts a delivery unless this (event, recipient, channel) already has one; true when inserted. */
  private async insertDelivery(
    tx: EntityManager,
    event: OutboxRow,
    channel: 'in_app' | 'email' | 'webhook',
    recipientKey: string,
    userId: string | null,
    webhookId: string | null,
    clinicId: string,
    status: 'pending' | 'delivered',
  ): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO notification_deliveries
         (outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
          attempts, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 = 'delivered' THEN 1 ELSE 0 END,
               CASE WHEN $9 = 'delivered' THEN now() END)
       ON CONFLICT ON CONSTRAINT notification_deliveries_dedup_key DO NOTHING
       RETURNING id`,
      [event.id, channel, recipientKey, userId, webhookId, clinicId, event.type, event.referral_id, status],
    );
    return rows.length > 0;
  }

  private async wantsEmail(tx: EntityManager, userId: string): Promise<boolean> {
    const [pref]: { enabled: boolean }[] = await tx.query(
      `SELECT enabled FROM notification_preferences WHERE user_id = $1 AND channel = 'email'`,
      [userId],
    );
    return pref?.enabled ?? true;
  }

  /** Which side acted: decides who hears about a note. Admins act for their clinic's side. */
  private async actorSide(tx: EntityManager, actorId: string | null, r: ReferralFacts): Promise<'sender' | 'recipient' | 'system'> {
    if (!actorId) return 'system';
    if (actorId === r.sender_id) return 'sender';
    if (actorId === r.recipient_id) return 'recipient';
    const [actor]: { clinic_id: string }[] = await tx.query(`SELECT clinic_id FROM users WHERE id = $1`, [actorId]);
    return actor?.clinic_id === r.sender_clinic_id ? 'sender' : 'recipient';
  }
}
