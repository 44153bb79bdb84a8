import { Injectable } from '@nestjs/common';
import { Clock } from '@referloop/common';
import { REFERRAL_INVITE_RESENT_EVENT } from '@referloop/referrals';
import { ADMIN_RIGHTS_CHANGED_EVENT, INVITATION_CREATED_EVENT, PASSWORD_RESET_REQUESTED_EVENT } from '@referloop/identity';
import type { EntityManager } from 'typeorm';
import { EmailChannel } from '../channels/email.channel';
import { RETRY_DELIVERY_EVENT } from '../notification-queue';
import {
  ADMIN_RIGHTS_GRANTED,
  ADMIN_RIGHTS_REMOVED,
  adminRightsText,
  type Audience,
  notificationText,
  opensReferral,
} from '../notification-texts';
import { DispatchStore, type EventRow, type PendingDelivery, type PlannedDelivery } from '../store/dispatch.store';
import {
  type EventFacts,
  needsActorClinic,
  REFERRAL_INVITE_EMAIL,
  type ReferralFacts,
  tellsRecipientAdmins,
  type Told,
  type ToldUser,
  whoIsTold,
  withStandIns,
} from '../who-is-told';

export type { EventRow, PendingDelivery } from '../store/dispatch.store';

/** How long after an invitation email another of the same kind (a send, a reminder) about the same link is not sent. */
export const INVITE_EMAIL_QUIET_MS = 60 * 60_000;
export { REFERRAL_INVITE_EMAIL } from '../who-is-told';

/** An outbox event of a referral that still exists. */
export type ReferralEvent = EventRow & {
  referral_id: string;
  sender_id: string;
  sender_clinic_id: string;
};

export function referralFacts(event: ReferralEvent): ReferralFacts {
  return {
    senderId: event.sender_id,
    senderClinicId: event.sender_clinic_id,
    recipientId: event.recipient_id,
    recipientClinicId: event.recipient_clinic_id,
    recipientInviteId: event.recipient_invite_id,
    sent: event.sent === true,
  };
}

export function eventFacts(event: EventRow): EventFacts {
  const { fromStatus, toStatus, actorId, side, fromPractitionerId, toPractitionerId, sentTo } = event.payload;
  return { type: event.type, fromStatus, toStatus, actorId, side, fromPractitionerId, toPractitionerId, sentTo };
}

/**
 * Turns outbox events into deliveries, in the relay's transaction that claims them: an in-app
 * notification per recipient (written in the same statement as its delivery row), plus email and
 * webhook deliveries for the delivery jobs. Who is told is decided by {@link whoIsTold}; this class
 * reads the facts it needs and writes what it answers. The unique (event, recipient, channel) key
 * makes a repeat insert nothing new. A batch costs the same handful of statements whatever its size.
 */
@Injectable()
export class NotificationDispatcher {
  constructor(
    private readonly email: EmailChannel,
    private readonly store: DispatchStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Fans out `events` (claimed by the relay, inside its transaction `tx`) and answers the
   * email/webhook deliveries that need a delivery job.
   */
  async dispatch(tx: EntityManager, events: EventRow[]): Promise<PendingDelivery[]> {
    const referralEvents = events.filter((e): e is ReferralEvent => e.sender_id !== null && e.sender_clinic_id !== null);
    const told = await this.decide(tx, referralEvents);
    const planned = [...this.plan(referralEvents, told), ...(await this.adminRightsNotices(tx, events))];
    if (this.email.enabled) {
      planned.push(...(await this.patientEmails(tx, referralEvents, told)));
      planned.push(...(await this.referralInviteEmails(tx, referralEvents, told)));
      planned.push(
        ...(await accountEmails(events, INVITATION_CREATED_EVENT, 'invitationId', (ids) => this.store.invitedUsers(tx, ids))),
        ...(await accountEmails(events, PASSWORD_RESET_REQUESTED_EVENT, 'passwordResetId', (ids) =>
          this.store.passwordResetUsers(tx, ids),
        )),
      );
    }
    planned.push(...(await this.webhookDeliveries(tx, referralEvents, told)));
    const pending = await this.store.insertDeliveries(tx, await this.withoutEmailsTurnedOff(tx, planned), this.clock.now());
    // An admin's retry has no deliveries of its own: it names the failed one to send again.
    const retried = events.flatMap((e) =>
      e.type === RETRY_DELIVERY_EVENT && e.payload.deliveryId ? [e.payload.deliveryId] : [],
    );
    return [...pending, ...(await this.store.pendingByIds(tx, retried))];
  }

  /**
   * The invitation to join of someone not on ReferLoop: when their referral is sent, when its sender
   * asks for a new link, and as its reminder. Addressed to the invite (no user yet); the worker builds
   * the link. The referrals of one invite share its link and its text, so a send or a reminder within
   * {@link INVITE_EMAIL_QUIET_MS} of another of the same kind for the invite says nothing new and is
   * not sent (two referrals sent together were two emails, and their reminders two more); a new link always is.
   */
  private async referralInviteEmails(
    tx: EntityManager,
    events: ReferralEvent[],
    told: Map<string, Told>,
  ): Promise<PlannedDelivery[]> {
    const inviting = events.filter((event) => told.get(event.id)!.invitee);
    const keyOf = (event: ReferralEvent) => `invite:${event.recipient_invite_id}`;
    const emailed = await this.store.inviteEmailsSince(
      tx,
      [...new Set(inviting.map(keyOf))],
      new Date(this.clock.now().getTime() - INVITE_EMAIL_QUIET_MS),
    );
    return inviting.flatMap((event) => {
      const recipientKey = keyOf(event);
      const kind = `${recipientKey}|${event.type}`;
      if (event.type !== REFERRAL_INVITE_RESENT_EVENT && emailed.has(kind)) return [];
      emailed.add(kind);
      return [
        {
          outboxEventId: event.id,
          channel: 'email' as const,
          recipientKey,
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
      ];
    });
  }

  /** Reads the facts the decision needs (actors' clinics, recipient clinics' admins) and decides, per event. */
  private async decide(tx: EntityManager, events: ReferralEvent[]): Promise<Map<string, Told>> {
    if (events.length === 0) return new Map();
    const actors = await this.store.users(
      tx,
      events.filter((e) => needsActorClinic(referralFacts(e), eventFacts(e))).map((e) => e.payload.actorId!),
    );
    const admins = await this.store.adminsOf(
      tx,
      events.filter((e) => tellsRecipientAdmins(e.type) && e.recipient_clinic_id).map((e) => e.recipient_clinic_id!),
    );
    const told = new Map(
      events.map((e) => [
        e.id,
        whoIsTold(eventFacts(e), referralFacts(e), {
          actorClinicId: e.payload.actorId ? actors.get(e.payload.actorId)?.clinic_id : null,
          recipientAdmins: e.recipient_clinic_id ? (admins.get(e.recipient_clinic_id) ?? []) : [],
        }),
      ]),
    );
    const toldUsers = [...told.values()].flatMap((t) => t.users);
    const deactivated = await this.store.deactivatedAmong(tx, [...new Set(toldUsers.map((u) => u.userId))]);
    if (deactivated.size === 0) return told;
    const standInAdmins = await this.store.adminsOf(tx, [
      ...new Set(toldUsers.filter((u) => deactivated.has(u.userId)).map((u) => u.clinicId)),
    ]);
    for (const event of events) {
      told.set(event.id, withStandIns(told.get(event.id)!, deactivated, standInAdmins, event.payload.actorId));
    }
    return told;
  }

  /**
   * What the practitioner `user` is told of `event` (their side and its text), decided as its fan-out
   * decides it: the email of a notification says what its in-app notification says. Undefined when
   * they are told nothing. Facts changed since the fan-out (the referral changed hands) leave them
   * the side of the clinic their delivery was for; someone deactivated since is sent nothing (the deliverer).
   */
  async toldOf(
    tx: EntityManager,
    event: ReferralEvent,
    user: { userId: string; clinicId: string },
  ): Promise<(ToldUser & { title: string; body: string }) | undefined> {
    const { users } = (await this.decide(tx, [event])).get(event.id)!;
    const told = users.find((u) => u.userId === user.userId) ?? users.find((u) => u.clinicId === user.clinicId);
    const text = told && toldText(event, told.audience);
    return text && { ...told, userId: user.userId, ...text };
  }

  /** An in-app notification (and an email, when email is on) per practitioner told. */
  private plan(events: ReferralEvent[], told: Map<string, Told>): PlannedDelivery[] {
    const rows: PlannedDelivery[] = [];
    for (const event of events) {
      const name = eventName(event);
      for (const user of told.get(event.id)!.users) {
        const text = toldText(event, user.audience);
        if (!text) continue;
        // Whole literals, not a shared part spread into each: a hidden class per row (docs/architecture.md).
        const row = (
          channel: 'in_app' | 'email',
          referralId: string | null,
          title: string | null,
          body: string | null,
        ): PlannedDelivery => ({
          outboxEventId: event.id,
          channel,
          recipientKey: `user:${user.userId}`,
          userId: user.userId,
          webhookId: null,
          clinicId: user.clinicId,
          notificationType: event.type,
          referralId,
          status: channel === 'in_app' ? 'delivered' : 'pending',
          event: name,
          title,
          body,
        });
        // The practitioner a referral was taken from cannot open it: their notice names none.
        rows.push(row('in_app', opensReferral(user.audience) ? event.referral_id : null, text.title, text.body));
        if (this.email.enabled) rows.push(row('email', event.referral_id, null, null));
      }
    }
    return rows;
  }

  /**
   * The in-app notice of admin rights another admin granted or removed, to the user whose rights
   * changed: their open app re-reads what they may do when it arrives. No email: like a password
   * change or an ended session, it is a notice about the account, not something to act on outside the app.
   */
  private async adminRightsNotices(tx: EntityManager, events: EventRow[]): Promise<PlannedDelivery[]> {
    const changes = events.filter((e) => e.type === ADMIN_RIGHTS_CHANGED_EVENT && e.payload.userId);
    if (changes.length === 0) return [];
    const users = await this.store.users(
      tx,
      changes.flatMap((e) => [e.payload.userId!, e.payload.actorId ?? '']).filter(Boolean),
    );
    return changes.flatMap((event): PlannedDelivery[] => {
      const user = users.get(event.payload.userId!);
      // Someone invited who was removed again (their row is gone) has no inbox.
      if (!user) return [];
      const actor = (event.payload.actorId && users.get(event.payload.actorId)?.full_name) || 'An admin of your clinic';
      const isAdmin = event.payload.isAdmin === true;
      const text = adminRightsText(actor, isAdmin);
      return [
        {
          outboxEventId: event.id,
          channel: 'in_app',
          recipientKey: `user:${event.payload.userId}`,
          userId: event.payload.userId!,
          webhookId: null,
          clinicId: user.clinic_id,
          notificationType: event.type,
          referralId: null,
          status: 'delivered',
          event: isAdmin ? ADMIN_RIGHTS_GRANTED : ADMIN_RIGHTS_REMOVED,
          title: text.title,
          body: text.body,
        },
      ];
    });
  }

  /** Practitioners' emails about referrals go only to those who did not turn email off. */
  private async withoutEmailsTurnedOff(tx: EntityManager, rows: PlannedDelivery[]): Promise<PlannedDelivery[]> {
    const practitionerEmail = (row: PlannedDelivery) => row.channel === 'email' && row.notificationType.startsWith('referral.');
    const off = await this.store.usersWithEmailOff(
      tx,
      rows.filter(practitionerEmail).map((row) => row.userId!),
    );
    return off.size === 0 ? rows : rows.filter((row) => !practitionerEmail(row) || !off.has(row.userId!));
  }

  /**
   * The patient's email of each event that concerns them, when the patient has an email address and
   * an active `patient_notifications` consent, read now: a consent revoked since the change stops it.
   * The delivery names the patient by id only; the address is read when sending.
   */
  private async patientEmails(tx: EntityManager, events: ReferralEvent[], told: Map<string, Told>): Promise<PlannedDelivery[]> {
    const concerned = events.filter((e) => told.get(e.id)!.patient);
    if (concerned.length === 0) return [];
    const reachable = await this.store.reachablePatients(
      tx,
      concerned.map((e) => e.referral_id),
    );
    return concerned.flatMap((event): PlannedDelivery[] => {
      const patient = reachable.get(event.referral_id);
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

  /** The clinics' webhooks subscribed to each event, of the clinics told. */
  private async webhookDeliveries(
    tx: EntityManager,
    events: ReferralEvent[],
    told: Map<string, Told>,
  ): Promise<PlannedDelivery[]> {
    const referralEvents = events.filter((e) => e.type.startsWith('referral.'));
    if (referralEvents.length === 0) return [];
    const webhooks = await this.store.webhooksOf(
      tx,
      referralEvents.flatMap((e) => told.get(e.id)!.webhookClinics),
    );
    if (webhooks.length === 0) return [];
    return referralEvents.flatMap((event) => {
      const clinicsTold = told.get(event.id)!.webhookClinics;
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
}

/**
 * What `audience` reads of `event` (title and body): the one text of both its in-app notification
 * and its email. It names clinics only, never the patient.
 */
export function toldText(event: EventRow, audience: Audience): { title: string; body: string } | undefined {
  return notificationText(eventName(event), audience, {
    senderClinic: event.sender_clinic ?? '',
    recipientClinic: event.recipient_clinic ?? null,
    urgent: event.urgent === true,
    reassignedSide: event.payload.side,
    recipientWasMember: event.payload.joinedAs === 'member',
  });
}

/**
 * The emails about users' own accounts among `events` of `type`: each names its record by `key` (an
 * invitation, a password reset), and `usersOf` reads whose account that is.
 */
async function accountEmails(
  events: EventRow[],
  type: string,
  key: 'invitationId' | 'passwordResetId',
  usersOf: (ids: string[]) => Promise<Map<string, { user_id: string; clinic_id: string }>>,
): Promise<PlannedDelivery[]> {
  const named = events.flatMap((event) => {
    const id = event.payload[key];
    return event.type === type && id ? [{ event, id }] : [];
  });
  if (named.length === 0) return [];
  const users = await usersOf(named.map(({ id }) => id));
  return named.flatMap(({ event, id }) => accountEmail(event, users.get(id)));
}

/** An email about a user's own account (invitation, password reset): no inbox row, no preferences. */
function accountEmail(event: EventRow, user: { user_id: string; clinic_id: string } | undefined): PlannedDelivery[] {
  if (!user) return [];
  return [
    {
      outboxEventId: event.id,
      channel: 'email',
      recipientKey: `user:${user.user_id}`,
      userId: user.user_id,
      webhookId: null,
      clinicId: user.clinic_id,
      notificationType: event.type,
      referralId: null,
      status: 'pending',
      event: event.type,
      title: null,
      body: null,
    },
  ];
}

function eventName(event: EventRow): string {
  return event.type.startsWith('referral.') ? event.type.slice('referral.'.length) : event.type;
}
