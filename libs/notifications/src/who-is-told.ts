import { AWAITING_DECISION_STATUSES, REFERRAL_INVITE_RESENT_EVENT, type ReferralStatus, TRANSITIONS } from '@referloop/referrals';
import { type Audience, audiencesFor, opensReferral, sideDoneByAdmin, sideOfAudience } from './notification-texts';
import { patientEventOf } from './texts/patient.en';

/**
 * Who is told of which referral event: the one place that decides it. Pure: the dispatcher reads
 * the facts (the referral, the actor's clinic, the recipient clinic's admins) and fans out exactly
 * what this answers; the texts say what each audience reads.
 */

/** The notification type of the email inviting someone not on ReferLoop to a referral. */
export const REFERRAL_INVITE_EMAIL = 'referral_invite.email';

/** A referral's facts as of the fan-out (read then: a referral reassigned since tells its new owner). */
export interface ReferralFacts {
  senderId: string;
  senderClinicId: string;
  /** Null while the recipient is someone invited who has not joined yet. */
  recipientId: string | null;
  recipientClinicId: string | null;
  recipientInviteId: string | null;
  /** Whether the referral was ever sent (sent_at is set). */
  sent: boolean;
}

/** The outbox event: its type (`referral.<event>` or another outbox type) and payload. */
export interface EventFacts {
  type: string;
  fromStatus?: string | null;
  toStatus?: string;
  /** Null: the system (timers). */
  actorId?: string | null;
  /** `reassigned`: the side that changed hands, its previous and its new practitioner. */
  side?: 'sender' | 'recipient';
  fromPractitionerId?: string;
  toPractitionerId?: string;
  /** `sent`: to someone invited who had not joined then. */
  sentTo?: 'invite';
}

/** Who acted, when it is neither the sender nor the recipient (an admin acting for their clinic): their clinic. */
export interface ActorFacts {
  actorClinicId?: string | null;
  /** The recipient clinic's active admins (only needed when {@link tellsRecipientAdmins}). */
  recipientAdmins?: readonly string[];
}

/** A practitioner told in-app (and by email, unless they turned email off). */
export interface ToldUser {
  userId: string;
  clinicId: string;
  audience: Audience;
}

export interface Told {
  /** In order of the texts' audiences. */
  users: ToldUser[];
  /** Clinics whose webhooks (subscribed to the event type) hear of it. */
  webhookClinics: string[];
  /** The patient's email (when they have an address and an active consent: checked at fan-out and send). */
  patient: boolean;
  /** The invitation email to someone not on ReferLoop yet, addressed to the referral's pending invite. */
  invitee: boolean;
}

const NOBODY: Told = { users: [], webhookClinics: [], patient: false, invitee: false };

const eventName = (type: string) => (type.startsWith('referral.') ? type.slice('referral.'.length) : type);

/**
 * The recipient's side hears only of a referral that was sent, and only of what happened from the
 * sending on: not of a draft, nor of a draft cancelled before sending ('created' has no fromStatus);
 * nobody on that side before someone joins through an invite.
 */
export function recipientKnows(referral: ReferralFacts, event: EventFacts): boolean {
  // Sent to someone invited: their side (and the patient) hear of it from `recipient_joined`, also
  // when this event is fanned out only after they joined (then both told them: two emails each).
  if (referral.recipientId === null || event.sentTo === 'invite') return false;
  const { fromStatus, toStatus } = event;
  return referral.sent && ((fromStatus != null && fromStatus !== 'draft') || toStatus === 'sent');
}

/** Which side acted (an admin acts for their clinic's side): decides who hears about a note or a message. */
export function actorSide(
  referral: ReferralFacts,
  event: EventFacts,
  actorClinicId?: string | null,
): 'sender' | 'recipient' | 'system' {
  const actor = event.actorId;
  if (!actor) return 'system';
  if (actor === referral.senderId) return 'sender';
  if (actor === referral.recipientId) return 'recipient';
  return actorClinicId === referral.senderClinicId ? 'sender' : 'recipient';
}

/** Whether the dispatcher must read the recipient clinic's admins for this event (`escalated`). */
export function tellsRecipientAdmins(type: string): boolean {
  return audiencesFor(eventName(type), 'system').includes('recipient_admins');
}

/** Whether the actor's clinic matters (someone other than the two practitioners may have acted). */
export function needsActorClinic(referral: ReferralFacts, event: EventFacts): boolean {
  const actor = event.actorId;
  return !!actor && actor !== referral.senderId && actor !== referral.recipientId;
}

/**
 * A practitioner told who has been deactivated cannot sign in to act: their clinic's active admins,
 * who reassign a deactivated practitioner's referrals, are told in their place (once each), except
 * the admin whose own action it was (`actorId`): nobody is told of what they did themselves. A
 * deactivated practitioner a referral was reassigned away from is not told, nor anyone for them:
 * it was moved because they left.
 */
export function withStandIns(
  told: Told,
  deactivated: ReadonlySet<string>,
  adminsByClinic: ReadonlyMap<string, readonly string[]>,
  actorId?: string | null,
): Told {
  if (!told.users.some((user) => deactivated.has(user.userId))) return told;
  const users: ToldUser[] = [];
  for (const user of told.users) {
    const standIns = !deactivated.has(user.userId)
      ? [user.userId]
      : opensReferral(user.audience)
        ? (adminsByClinic.get(user.clinicId) ?? []).filter((admin) => admin !== actorId)
        : [];
    for (const userId of standIns) {
      if (!users.some((u) => u.userId === userId)) users.push({ ...user, userId });
    }
  }
  return { ...told, users };
}

/** Who is told of `event` on `referral`. */
export function whoIsTold(event: EventFacts, referral: ReferralFacts, actor: ActorFacts = {}): Told {
  // The invitation goes out when the referral is sent, again when the sender asks for a new link,
  // and as the reminder (the one reminder there is someone to send to).
  const inviteEmail =
    referral.recipientInviteId !== null &&
    referral.recipientId === null &&
    (event.type === 'referral.sent' || event.type === 'referral.reminder_sent' || event.type === REFERRAL_INVITE_RESENT_EVENT);
  if (!event.type.startsWith('referral.')) return { ...NOBODY, invitee: inviteEmail };
  const name = eventName(event.type);
  const recipientSees = recipientKnows(referral, event);
  // A reassignment tells the practitioner it named (even if the referral changed hands again since)
  // on the side that changed hands, the one it took the side from (unless that was the admin who
  // reassigned it) and the other side's practitioner that it moved.
  const ownerOf = (audience: Audience) =>
    audience === event.side
      ? event.toPractitionerId
      : audience === `${event.side}_previous`
        ? event.fromPractitionerId
        : undefined;
  const takenFrom = event.fromPractitionerId && event.fromPractitionerId !== event.actorId ? event.side : undefined;
  const users: ToldUser[] = [];
  const side = actorSide(referral, event, actor.actorClinicId);
  // The action is a side's (the state machine's), not the actor's clinic's: in a referral within one
  // clinic its admin acts for either side. Someone other than that side's practitioner took it: an admin.
  const actionSide = sideDoneByAdmin(name);
  const byAdminFor =
    actionSide && event.actorId && event.actorId !== (actionSide === 'sender' ? referral.senderId : referral.recipientId)
      ? actionSide
      : undefined;
  for (const audience of audiencesFor(name, side, { byAdminFor, takenFrom })) {
    const recipientClinicId = referral.recipientClinicId;
    if (audience === 'recipient_admins') {
      if (recipientClinicId !== null)
        for (const admin of actor.recipientAdmins ?? []) users.push({ userId: admin, clinicId: recipientClinicId, audience });
    } else if (sideOfAudience(audience) === 'sender')
      users.push({ userId: ownerOf(audience) ?? referral.senderId, clinicId: referral.senderClinicId, audience });
    else if (recipientClinicId !== null && recipientSees)
      users.push({ userId: ownerOf(audience) ?? referral.recipientId!, clinicId: recipientClinicId, audience });
  }
  return {
    // Nobody is told of what they did themselves: in a referral within one clinic, an admin who is
    // one side's practitioner may take the other side's action, whose other side is then themselves.
    users: actionSide ? users.filter((user) => user.userId !== event.actorId) : users,
    webhookClinics:
      recipientSees && referral.recipientClinicId !== null
        ? [referral.senderClinicId, referral.recipientClinicId]
        : [referral.senderClinicId],
    patient: patientEventOf(name) !== undefined && recipientSees,
    invitee: inviteEmail,
  };
}

/** A referral as its reminder email is about to be sent: its status now, and whether progress was reported since the reminder. */
export interface ReminderFacts {
  status: string | null;
  progressReportedSince: boolean;
}

/**
 * Whether a practitioner's email of a timer's reminder still says something true when it goes out
 * (a retry after a mail server's refusal, an admin's retry, a backlog): "waiting for your decision"
 * and the escalation only while the referral still awaits its decision, "progress report due" only
 * while it is in care with no report since. Every other event is news that stays true.
 */
export function reminderStillDue(type: string, referral: ReminderFacts): boolean {
  const status = referral.status as ReferralStatus | null;
  if (type === 'referral.reminder_sent' || type === 'referral.escalated')
    return status !== null && AWAITING_DECISION_STATUSES.includes(status);
  if (type === 'referral.progress_report_due')
    return status !== null && TRANSITIONS['report-progress'].from.includes(status) && !referral.progressReportedSince;
  return true;
}
