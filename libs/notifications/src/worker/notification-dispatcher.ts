import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { INVITATION_CREATED_EVENT, PASSWORD_RESET_REQUESTED_EVENT } from '@referloop/identity';
import { REFERRAL_INVITE_RESENT_EVENT } from '@referloop/referrals';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailChannel } from '../channels/email.channel';
import type { DeliveryChannel, DeliveryStatus } from '../entities';
import { RETRY_DELIVERY_EVENT } from '../notification-queue';
import { type Audience, INVITED_RECIPIENT, audiencesFor, notificationText } from '../notification-texts';
import { isPatientEvent } from '../texts/patient.en';

/** An outbox event with the facts of its referral (null columns when the referral is gone). */
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
    /** `reassigned`: the side that changed hands and its new practitioner. */
    side?: 'sender' | 'recipient';
    toPractitionerId?: string;
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

export type ReferralEvent = EventRow & {
  referral_id: string;
  sender_id: string;
  recipient_id: string;
  sender_clinic_id: string;
  recipient_clinic_id: string;
};

/** One delivery row to insert; in-app rows also carry the notification's text. */
interface PlannedDelivery {
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

/**
 * Turns outbox events into deliveries, a batch per transaction: an in-app notification per
 * recipient (written in the same statement as its delivery row), plus email and webhook
 * deliveries for the delivery jobs. The unique (event, recipient, channel) key makes a re-run
 * insert nothing new; it then only re-reports what is still pending, so a crash between commit
 * and enqueue loses nothing. A batch costs the same handful of statements whatever its size.
 */
@Injectable()
export class NotificationDispatcher {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly email: EmailChannel,
  ) {}

  /** Returns the email/webhook deliveries of these events that still need a delivery job. */
  async dispatch(outboxEventIds: string[]): Promise<PendingDelivery[]> {
    const ids = [...new Set(outboxEventIds)];
    return this.db.transaction(async (tx) => {
      const events: EventRow[] = await tx.query(
        `SELECT o.id, o.type, o.referral_id, o.payload, r.sender_id, r.recipient_id, r.sender_clinic_id, r.recipient_clinic_id,
                r.recipient_invite_id, r.sent_at IS NOT NULL AS sent, sc.name AS sender_clinic, tc.name AS recipient_clinic,
                r.priority = 'urgent' AS urgent
           FROM outbox_events o
           LEFT JOIN referrals r ON r.id = o.referral_id
           LEFT JOIN clinics sc ON sc.id = r.sender_clinic_id
           LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
          WHERE o.id = ANY($1::uuid[])
          ORDER BY o.created_at, o.id`,
        [ids],
      );
      const referralEvents = events.filter((e): e is ReferralEvent => e.type.startsWith('referral.') && e.sender_id !== null);
      const invitations = events.flatMap((e) => (e.type === INVITATION_CREATED_EVENT && e.payload.invitationId ? [e] : []));
      const planned = referralEvents.length > 0 ? await this.plan(tx, referralEvents) : [];
      if (referralEvents.length > 0 && this.email.enabled) planned.push(...(await this.patientEmails(tx, referralEvents)));
      if (invitations.length > 0 && this.email.enabled) planned.push(...(await this.invitationEmails(tx, invitations)));
      if (this.email.enabled) planned.push(...referralInviteEmails(events));
      const resets = events.flatMap((e) => (e.type === PASSWORD_RESET_REQUESTED_EVENT && e.payload.passwordResetId ? [e] : []));
      if (resets.length > 0 && this.email.enabled) planned.push(...(await this.passwordResetEmails(tx, resets)));
      await this.insertDeliveries(tx, planned);
      // An admin's retry has no deliveries of its own: it names the failed one to send again.
      const retried = events.flatMap((e) =>
        e.type === RETRY_DELIVERY_EVENT && e.payload.deliveryId ? [e.payload.deliveryId] : [],
      );
      return tx.query(
        `SELECT id, retry_count AS "retryCount" FROM notification_deliveries
          WHERE status = 'pending' AND channel <> 'in_app' AND (outbox_event_id = ANY($1::uuid[]) OR id = ANY($2::uuid[]))`,
        [ids, retried],
      );
    });
  }

  /** The deliveries the events call for: who hears about each, and on which channels. */
  private async plan(tx: EntityManager, events: ReferralEvent[]): Promise<PlannedDelivery[]> {
    const actorClinics = await this.clinicsOfOtherActors(tx, events);
    const audiences = new Map(events.map((e) => [e.id, audiencesFor(eventName(e), actorSide(e, actorClinics), e.payload.side)]));
    const adminClinics = events
      .filter((e) => audiences.get(e.id)!.includes('recipient_admins'))
      .map((e) => e.recipient_clinic_id);
    const admins: { id: string; clinic_id: string }[] = adminClinics.length
      ? await tx.query(
          `SELECT id, clinic_id FROM users
            WHERE clinic_id = ANY($1::uuid[]) AND is_admin AND activated_at IS NOT NULL AND deactivated_at IS NULL ORDER BY id`,
          [[...new Set(adminClinics)]],
        )
      : [];

    const rows: PlannedDelivery[] = [];
    const add = (
      event: ReferralEvent,
      row: Omit<PlannedDelivery, 'outboxEventId' | 'notificationType' | 'referralId' | 'event'>,
    ) =>
      rows.push({
        ...row,
        outboxEventId: event.id,
        notificationType: event.type,
        referralId: event.referral_id,
        event: eventName(event),
      });

    for (const event of events) {
      const recipientSees = recipientKnows(event);
      const context = {
        senderClinic: event.sender_clinic ?? '',
        recipientClinic: event.recipient_clinic ?? INVITED_RECIPIENT,
        urgent: event.urgent === true,
      };
      for (const audience of audiences.get(event.id)!) {
        const text = notificationText(eventName(event), audience, context);
        if (!text) continue;
        for (const target of targetsOf(event, audience, recipientSees, admins)) {
          const user = {
            recipientKey: `user:${target.userId}`,
            userId: target.userId,
            webhookId: null,
            clinicId: target.clinicId,
          };
          add(event, { ...user, channel: 'in_app', status: 'delivered', title: text.title, body: text.body });
          if (this.email.enabled) add(event, { ...user, channel: 'email', status: 'pending', title: null, body: null });
        }
      }
    }
    const emailOff = await this.usersWithEmailOff(tx, rows);
    const withEmail = rows.filter((row) => row.channel !== 'email' || !emailOff.has(row.userId!));
    return [...withEmail, ...(await this.webhookDeliveries(tx, events))];
  }

  /**
   * The patient's email of each event that concerns them (from the sending on), when the patient has
   * an email address and an active `patient_notifications` consent, read now: a consent revoked since
   * the change stops it. The delivery names the patient by id only; the address is read when sending.
   */
  private async patientEmails(tx: EntityManager, events: ReferralEvent[]): Promise<PlannedDelivery[]> {
    const concerned = events.filter((e) => isPatientEvent(eventName(e)) && recipientKnows(e));
    if (concerned.length === 0) return [];
    const reachable: { referral_id: string; patient_id: string; clinic_id: string }[] = await tx.query(
      `SELECT r.id AS referral_id, p.id AS patient_id, p.clinic_id
         FROM referrals r JOIN patients p ON p.id = r.patient_id
        WHERE r.id = ANY($1::uuid[]) AND coalesce(p.email, '') <> ''
          AND EXISTS (SELECT 1 FROM patient_consents c
                       WHERE c.patient_id = p.id AND c.scope = 'patient_notifications' AND c.revoked_at IS NULL)`,
      [[...new Set(concerned.map((e) => e.referral_id))]],
    );
    const byReferral = new Map(reachable.map((r) => [r.referral_id, r]));
    return concerned.flatMap((event): PlannedDelivery[] => {
      const patient = byReferral.get(event.referral_id);
      if (!patient) return [];
      return [
        {
          outboxEventId: event.id,
          channel: 'patient_email',
          recipientKey: `patient:${patient.patient_id}`,
          userId: null,
          webhookId: null,
          clinicId: patient.clinic_id,
          notificationType: event.type,
          referralId: event.referral_id,
          status: 'pending',
          event: eventName(event),
          title: null,
          body: null,
        },
      ];
    });
  }

  /** One email per invitation, to the invited practitioner (who has no inbox or preferences yet). */
  private async invitationEmails(tx: EntityManager, events: EventRow[]): Promise<PlannedDelivery[]> {
    const invited: { id: string; user_id: string; clinic_id: string }[] = await tx.query(
      `SELECT i.id, i.user_id, u.clinic_id FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.id = ANY($1::uuid[])`,
      [events.map((e) => e.payload.invitationId)],
    );
    const byInvitation = new Map(invited.map((i) => [i.id, i]));
    return events.flatMap((event) => {
      const invitation = byInvitation.get(event.payload.invitationId!);
      return invitation ? [accountEmail(event, invitation.user_id, invitation.clinic_id)] : [];
    });
  }

  /** One email per password reset, to the account's address (the link is built when it is sent). */
  private async passwordResetEmails(tx: EntityManager, events: EventRow[]): Promise<PlannedDelivery[]> {
    const resets: { id: string; user_id: string; clinic_id: string }[] = await tx.query(
      `SELECT r.id, r.user_id, u.clinic_id FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.id = ANY($1::uuid[])`,
      [events.map((e) => e.payload.passwordResetId)],
    );
    const byReset = new Map(resets.map((r) => [r.id, r]));
    return events.flatMap((event) => {
      const reset = byReset.get(event.payload.passwordResetId!);
      return reset ? [accountEmail(event, reset.user_id, reset.clinic_id)] : [];
    });
  }

  /** Admins act for their clinic's side; their clinics decide who hears about a note. */
  private async clinicsOfOtherActors(tx: EntityManager, events: ReferralEvent[]): Promise<Map<string, string>> {
    const actors = new Set(
      events.flatMap((e) => {
        const actor = e.payload.actorId;
        return actor && actor !== e.sender_id && actor !== e.recipient_id ? [actor] : [];
      }),
    );
    if (actors.size === 0) return new Map();
    const rows: { id: string; clinic_id: string }[] = await tx.query(
      `SELECT id, clinic_id FROM users WHERE id = ANY($1::uuid[])`,
      [[...actors]],
    );
    return new Map(rows.map((r) => [r.id, r.clinic_id]));
  }

  private async usersWithEmailOff(tx: EntityManager, rows: PlannedDelivery[]): Promise<Set<string>> {
    const users = [...new Set(rows.filter((row) => row.channel === 'email').map((row) => row.userId!))];
    if (users.length === 0) return new Set();
    const off: { user_id: string }[] = await tx.query(
      `SELECT user_id FROM notification_preferences WHERE user_id = ANY($1::uuid[]) AND channel = 'email' AND NOT enabled`,
      [users],
    );
    return new Set(off.map((r) => r.user_id));
  }

  /** The clinics' webhooks subscribed to each event (the recipient's clinic only once it can see the referral). */
  private async webhookDeliveries(tx: EntityManager, events: ReferralEvent[]): Promise<PlannedDelivery[]> {
    const clinics = new Set(events.flatMap((e) => [e.sender_clinic_id, e.recipient_clinic_id]));
    const webhooks: { id: string; clinic_id: string; event_types: string[] }[] = await tx.query(
      `SELECT id, clinic_id, event_types FROM webhooks WHERE clinic_id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY id`,
      [[...clinics]],
    );
    if (webhooks.length === 0) return [];
    return events.flatMap((event) => {
      const clinicsTold = recipientKnows(event) ? [event.sender_clinic_id, event.recipient_clinic_id] : [event.sender_clinic_id];
      return webhooks
        .filter((w) => clinicsTold.includes(w.clinic_id) && (w.event_types.includes(event.type) || w.event_types.includes('*')))
        .map((w): PlannedDelivery => ({
          outboxEventId: event.id,
          channel: 'webhook',
          recipientKey: `webhook:${w.id}`,
          userId: null,
          webhookId: w.id,
          clinicId: w.clinic_id,
          notificationType: event.type,
          referralId: event.referral_id,
          status: 'pending',
          event: eventName(event),
          title: null,
          body: null,
        }));
    });
  }

  /**
   * One statement: delivery rows that do not exist yet, and the in-app notification of each new
   * in-app row. Rows go in key order, so two overlapping batches lock keys in the same order.
   * A notification's time is when it was written (not the batch's start), like a timeline event's.
   */
  private async insertDeliveries(tx: EntityManager, planned: PlannedDelivery[]): Promise<void> {
    const seen = new Set<string>();
    const rows = planned
      .map((row) => ({ row, key: `${row.outboxEventId}|${row.recipientKey}|${row.channel}` }))
      .filter(({ key }) => !seen.has(key) && seen.add(key))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ row }) => row);
    if (rows.length === 0) return;
    const column = <K extends keyof PlannedDelivery>(key: K) => rows.map((row) => row[key]);
    await tx.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::uuid[], $9::text[],
                              $10::text[], $11::text[], $12::text[])
           AS t(outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
                event, title, body)
       ), inserted AS (
         INSERT INTO notification_deliveries
           (outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
            attempts, delivered_at)
         SELECT outbox_event_id, channel, recipient_key, user_id, webhook_id, clinic_id, notification_type, referral_id, status,
                CASE WHEN status = 'delivered' THEN 1 ELSE 0 END, CASE WHEN status = 'delivered' THEN now() END
           FROM input
         ON CONFLICT ON CONSTRAINT notification_deliveries_dedup_key DO NOTHING
         RETURNING outbox_event_id, recipient_key, channel
       )
       INSERT INTO notifications (user_id, type, referral_id, title, body, created_at)
       SELECT i.user_id, i.event, i.referral_id, i.title, i.body, clock_timestamp()
         FROM inserted d JOIN input i USING (outbox_event_id, recipient_key, channel)
        WHERE d.channel = 'in_app'`,
      [
        column('outboxEventId'),
        column('channel'),
        column('recipientKey'),
        column('userId'),
        column('webhookId'),
        column('clinicId'),
        column('notificationType'),
        column('referralId'),
        column('status'),
        column('event'),
        column('title'),
        column('body'),
      ],
    );
  }
}

/**
 * The invitation to join of someone not on ReferLoop: when their referral is sent, and when its
 * sender asks for a new link. Addressed to the invite (no user yet); the worker builds the link.
 */
function referralInviteEmails(events: EventRow[]): PlannedDelivery[] {
  return events.flatMap((event) =>
    event.recipient_invite_id &&
    event.recipient_id === null &&
    event.sender_clinic_id &&
    (event.type === 'referral.sent' || event.type === REFERRAL_INVITE_RESENT_EVENT)
      ? [
          {
            outboxEventId: event.id,
            channel: 'email' as const,
            recipientKey: `invite:${event.recipient_invite_id}`,
            userId: null,
            webhookId: null,
            clinicId: event.sender_clinic_id,
            notificationType: REFERRAL_INVITE_EMAIL,
            referralId: event.referral_id,
            status: 'pending' as const,
            event: REFERRAL_INVITE_EMAIL,
            title: null,
            body: null,
          },
        ]
      : [],
  );
}

/** The notification type of a referral invite's email delivery. */
export const REFERRAL_INVITE_EMAIL = 'referral_invite.email';

/** An email about a user's own account (invitation, password reset): no inbox row, no preferences. */
function accountEmail(event: EventRow, userId: string, clinicId: string): PlannedDelivery {
  return {
    outboxEventId: event.id,
    channel: 'email',
    recipientKey: `user:${userId}`,
    userId,
    webhookId: null,
    clinicId,
    notificationType: event.type,
    referralId: null,
    status: 'pending',
    event: event.type,
    title: null,
    body: null,
  };
}

function eventName(event: EventRow): string {
  return event.type.slice('referral.'.length);
}

/**
 * The recipient's side hears only of a referral that was sent, and only of what happened from the
 * sending on: not of a draft, nor of a draft cancelled before sending ('created' has no fromStatus).
 */
export function recipientKnows(event: ReferralEvent): boolean {
  const { fromStatus, toStatus } = event.payload;
  // Nobody on the recipient side before someone joins through the invite.
  if (event.recipient_id === null) return false;
  return event.sent === true && ((fromStatus != null && fromStatus !== 'draft') || toStatus === 'sent');
}

/** Which side acted: decides who hears about a note. */
export function actorSide(event: ReferralEvent, actorClinics: Map<string, string>): 'sender' | 'recipient' | 'system' {
  const actor = event.payload.actorId;
  if (!actor) return 'system';
  if (actor === event.sender_id) return 'sender';
  if (actor === event.recipient_id) return 'recipient';
  return actorClinics.get(actor) === event.sender_clinic_id ? 'sender' : 'recipient';
}

export function targetsOf(
  event: ReferralEvent,
  audience: Audience,
  recipientSees: boolean,
  admins: { id: string; clinic_id: string }[],
): { userId: string; clinicId: string }[] {
  // A reassignment tells the practitioner it named, even if the referral changed hands again since.
  const owner = event.payload.toPractitionerId;
  if (audience === 'sender') return [{ userId: owner ?? event.sender_id, clinicId: event.sender_clinic_id }];
  if (audience === 'recipient') {
    return recipientSees ? [{ userId: owner ?? event.recipient_id, clinicId: event.recipient_clinic_id }] : [];
  }
  return admins.filter((a) => a.clinic_id === event.recipient_clinic_id).map((a) => ({ userId: a.id, clinicId: a.clinic_id }));
}
