import { REFERRAL_EVENT_TYPES, TRANSITIONS } from '@referloop/referrals';
import { type EmailContent, emailContent, zonedWhen } from './texts/email-body';

/**
 * Titles and bodies of notifications, per referral event and audience. They name clinics, never
 * the patient, the reason or observations: the same text goes to email and webhooks.
 */
export type Side = 'sender' | 'recipient';

/**
 * Who reads a text: a side's practitioner, the recipient clinic's admins, a side's practitioner
 * told what an admin of their clinic did for them (`<side>_by_admin`), or the practitioner a
 * reassignment took a side away from (`<side>_previous`).
 */
export type Audience = Side | 'recipient_admins' | `${Side}_by_admin` | `${Side}_previous`;

/** The side whose clinic an audience belongs to: its name heads their email. */
export function sideOfAudience(audience: Audience): Side {
  return audience.startsWith('sender') ? 'sender' : 'recipient';
}

/** Whether an audience may open the referral: the practitioner it was reassigned away from no longer sees it. */
export function opensReferral(audience: Audience): boolean {
  return !audience.endsWith('_previous');
}

export interface TextContext {
  senderClinic: string;
  /** Null while the recipient is someone invited who has not joined yet (no clinic, no admins). */
  recipientClinic: string | null;
  /** The referral is `urgent`: every text says so. */
  urgent: boolean;
  /** `reassigned`: the side that changed hands (its new practitioner reads "to you", the other side that it moved). */
  reassignedSide?: Side;
  /** `recipient_joined`: the invited practitioner was on ReferLoop already and took the referral (they did not join). */
  recipientWasMember?: boolean;
}

/** A context whose recipient clinic is named: as the invited recipient until they have joined. */
type NamedContext = Omit<TextContext, 'recipientClinic'> & { recipientClinic: string; invited: boolean };

/** How texts name the recipient's clinic before the invited recipient has joined (it has none yet). */
const INVITED_RECIPIENT = 'the practitioner you invited';

type Texts = (c: NamedContext) => { title: string; body: string };

const TEXTS: Record<string, Partial<Record<Audience, Texts>>> = {
  sent: {
    recipient: (c) => ({ title: `New referral from ${c.senderClinic}`, body: `You have a new referral from ${c.senderClinic}.` }),
  },
  accepted: { sender: (c) => ({ title: 'Referral accepted', body: `${c.recipientClinic} accepted your referral.` }) },
  declined: {
    sender: (c) => ({
      title: 'Referral declined',
      body: `${c.recipientClinic} declined your referral. You can redirect it to another practitioner.`,
    }),
  },
  info_requested: {
    sender: (c) => ({
      title: 'More information requested',
      body: `${c.recipientClinic} needs more information about your referral.`,
    }),
  },
  info_provided: {
    recipient: (c) => ({ title: 'Information provided', body: `${c.senderClinic} answered your request for information.` }),
  },
  scheduled: {
    sender: (c) => ({ title: 'Appointment scheduled', body: `${c.recipientClinic} scheduled an appointment for your referral.` }),
  },
  unscheduled: {
    sender: (c) => ({ title: 'Appointment removed', body: `${c.recipientClinic} removed the appointment for your referral.` }),
  },
  rescheduled: {
    sender: (c) => ({ title: 'Appointment moved', body: `${c.recipientClinic} moved the appointment for your referral.` }),
  },
  // "Seen": the closed loop tells the sender that the patient was seen, not only booked.
  care_started: {
    sender: (c) => ({ title: 'Patient seen', body: `${c.recipientClinic} saw the patient you referred: care has started.` }),
  },
  outcome_sent: {
    sender: (c) => ({
      title: 'Outcome reported',
      body: `${c.recipientClinic} sent the outcome of your referral. Please review and close it.`,
    }),
  },
  expired: {
    sender: (c) => ({
      title: 'Referral expired',
      body: `Your referral to ${c.recipientClinic} expired without a decision. You can redirect it.`,
    }),
  },
  cancelled: {
    recipient: (c) => ({ title: 'Referral cancelled', body: `${c.senderClinic} cancelled a referral sent to you.` }),
  },
  cancel_requested: {
    recipient: (c) => ({ title: 'Cancellation requested', body: `${c.senderClinic} asked to cancel a referral you accepted.` }),
  },
  cancel_confirmed: {
    sender: (c) => ({
      title: 'Cancellation confirmed',
      body: `${c.recipientClinic} confirmed the cancellation of your referral.`,
    }),
  },
  note_added: {
    sender: (c) => ({ title: 'New note on a referral', body: `${c.recipientClinic} added a note to your referral.` }),
    recipient: (c) => ({ title: 'New note on a referral', body: `${c.senderClinic} added a note to a referral.` }),
  },
  message: {
    sender: (c) => ({ title: 'New message on a referral', body: `New message on a referral from ${c.recipientClinic}.` }),
    recipient: (c) => ({ title: 'New message on a referral', body: `New message on a referral from ${c.senderClinic}.` }),
  },
  document_added: {
    sender: (c) => ({ title: 'New document on a referral', body: `${c.recipientClinic} added a document to your referral.` }),
    recipient: (c) => ({ title: 'New document on a referral', body: `${c.senderClinic} added a document to a referral.` }),
  },
  progress_reported: {
    sender: (c) => ({ title: 'Progress reported', body: `${c.recipientClinic} reported progress on your referral.` }),
  },
  progress_report_due: {
    recipient: (c) => ({
      title: 'Progress report due',
      body: `A progress report is due on a maintenance referral from ${c.senderClinic}.`,
    }),
  },
  reminder_sent: {
    recipient: (c) => ({
      title: 'Referral waiting for your decision',
      body: `A referral from ${c.senderClinic} is waiting for your decision.`,
    }),
  },
  reassigned: {
    sender: (c) =>
      c.reassignedSide === 'recipient'
        ? {
            title: 'Referral handed to a colleague',
            body: `Your referral to ${c.recipientClinic} is now with another practitioner there.`,
          }
        : { title: 'Referral reassigned to you', body: `A referral to ${c.recipientClinic} was reassigned to you.` },
    recipient: (c) =>
      c.reassignedSide === 'sender'
        ? {
            title: 'Referral handed to a colleague',
            body: `A referral from ${c.senderClinic} is now followed by another practitioner there.`,
          }
        : { title: 'Referral reassigned to you', body: `A referral from ${c.senderClinic} was reassigned to you.` },
    sender_previous: (c) => ({
      title: 'Referral handed to a colleague',
      body: `An admin of your clinic handed your referral to ${c.recipientClinic} over to another practitioner of your clinic. You no longer see it.`,
    }),
    recipient_previous: (c) => ({
      title: 'Referral handed to a colleague',
      body: `An admin of your clinic handed the referral from ${c.senderClinic} over to another practitioner of your clinic. You no longer see it.`,
    }),
  },
  recipient_joined: {
    recipient: (c) => ({ title: `New referral from ${c.senderClinic}`, body: `You have a new referral from ${c.senderClinic}.` }),
    sender: (c) =>
      c.recipientWasMember
        ? {
            title: 'Invited practitioner received your referral',
            body: `The practitioner you invited was already on ReferLoop (${c.recipientClinic}) and received your referral.`,
          }
        : {
            title: 'Recipient joined ReferLoop',
            body: `The practitioner you invited joined ReferLoop (${c.recipientClinic}) and received your referral.`,
          },
  },
  escalated: {
    recipient_admins: (c) => ({
      title: 'Referral overdue',
      body: `A referral from ${c.senderClinic} to your clinic has had no decision within its response time.`,
    }),
    sender: (c) => ({
      title: 'Referral not answered yet',
      body: c.invited
        ? `Your referral to ${c.recipientClinic} has not been answered yet: they have not joined ReferLoop. You can resend the invitation or redirect the referral.`
        : `Your referral to ${c.recipientClinic} has not been answered yet; their clinic admins have been alerted.`,
    }),
  },
};

/**
 * The actions an admin may take for a practitioner of their clinic that the practitioner must hear
 * of, since they did not take them: the front desk books or moves a PT's appointment, an admin
 * cancels an LMT's referral. Per event: what the admin did; whose side it was, the state machine says.
 */
const DONE_BY_ADMIN: Readonly<Record<string, { title: string; did: string }>> = {
  sent: { title: 'Referral sent', did: 'sent' },
  info_provided: { title: 'Information provided', did: 'answered the request for information on' },
  cancel_requested: { title: 'Cancellation requested', did: 'asked to cancel' },
  cancelled: { title: 'Referral cancelled', did: 'cancelled' },
  closed: { title: 'Referral closed', did: 'closed' },
  accepted: { title: 'Referral accepted', did: 'accepted' },
  declined: { title: 'Referral declined', did: 'declined' },
  info_requested: { title: 'More information requested', did: 'asked for more information on' },
  scheduled: { title: 'Appointment scheduled', did: 'scheduled an appointment for' },
  rescheduled: { title: 'Appointment moved', did: 'moved the appointment for' },
  unscheduled: { title: 'Appointment removed', did: 'removed the appointment for' },
  care_started: { title: 'First visit recorded', did: 'recorded the first visit for' },
  progress_reported: { title: 'Progress reported', did: 'reported progress on' },
  outcome_sent: { title: 'Outcome sent', did: 'sent the outcome of' },
  cancel_confirmed: { title: 'Cancellation confirmed', did: 'confirmed the cancellation of' },
};

/** The side whose action raises each event (the state machine's `by`; a note, either side's, is neither). */
const ACTION_SIDE: ReadonlyMap<string, Side> = new Map(
  Object.values(TRANSITIONS).flatMap((t) => (t.by === 'either' ? [] : [[t.event, t.by] as const])),
);

for (const [event, { title, did }] of Object.entries(DONE_BY_ADMIN)) {
  const side = ACTION_SIDE.get(event);
  if (!side) throw new Error(`DONE_BY_ADMIN names ${event}, which no side's action raises`);
  TEXTS[event] = {
    ...TEXTS[event],
    [`${side}_by_admin`]: (c: NamedContext) => ({
      title,
      body:
        side === 'sender'
          ? `An admin of your clinic ${did} your referral to ${c.recipientClinic}.`
          : `An admin of your clinic ${did} the referral from ${c.senderClinic}.`,
    }),
  };
}

/** The side whose practitioner is told when an admin of their clinic took `event`'s action for them. */
export function sideDoneByAdmin(event: string): Side | undefined {
  return event in DONE_BY_ADMIN ? ACTION_SIDE.get(event) : undefined;
}

export function notificationText(
  event: string,
  audience: Audience,
  context: TextContext,
): { title: string; body: string } | undefined {
  const invited = context.recipientClinic === null;
  // `invited` first: started with the spread, the literal got a hidden class per call (docs/architecture.md).
  const text = TEXTS[event]?.[audience]?.({ invited, ...context, recipientClinic: context.recipientClinic ?? INVITED_RECIPIENT });
  return text && context.urgent ? urgentText(text) : text;
}

/** Every text of an urgent referral says so first. */
function urgentText(text: { title: string; body: string }): { title: string; body: string } {
  return { title: `Urgent: ${text.title}`, body: `Urgent referral. ${text.body}` };
}

/**
 * Who is told about a referral event, before resolving users. `note_added`, `message` and `document_added` go to the other side;
 * `reassigned` to both sides: the new practitioner of the side that changed hands, and the other side.
 * `byAdminFor`: an admin took the action for that side's practitioner, who is told so as well.
 * `takenFrom`: a reassignment took that side from a practitioner who is still active, who is told so as well.
 */
export function audiencesFor(
  event: string,
  actorSide: 'sender' | 'recipient' | 'system',
  { byAdminFor, takenFrom }: { byAdminFor?: Side; takenFrom?: Side } = {},
): Audience[] {
  // Those told of what happened to them in particular are added only when it did.
  const audiences = (Object.keys(TEXTS[event] ?? {}) as Audience[]).filter(
    (a) => !a.endsWith('_by_admin') && !a.endsWith('_previous'),
  );
  if (event === 'note_added' || event === 'message' || event === 'document_added')
    return audiences.filter((a) => a !== actorSide);
  if (byAdminFor && sideDoneByAdmin(event) === byAdminFor) audiences.push(`${byAdminFor}_by_admin`);
  if (takenFrom && event === 'reassigned') audiences.push(`${takenFrom}_previous`);
  return audiences;
}

/** Each referral event that tells practitioners something, with whom it tells (for the email preview). */
export const NOTIFICATION_EVENTS = Object.entries(TEXTS).map(([event, texts]) => ({
  event,
  audiences: Object.keys(texts) as Audience[],
}));

/**
 * A practitioner's email about a referral: its notification text, headed by their clinic, and a link
 * to the referral when their audience may open it.
 */
export function referralEmail(
  text: { title: string; body: string },
  clinic: string,
  audience: Audience,
  referralUrl: string,
): EmailContent {
  return emailContent(
    text.title,
    clinic,
    opensReferral(audience) ? [text.body, { label: 'Open the referral', link: referralUrl }] : [text.body],
  );
}

/** The invitation email: who invites, the link to set a password, and until when it works (in the clinic's zone). */
export function invitationEmail(clinic: string, url: string, expiresAt: Date, timeZone: string): EmailContent {
  return emailContent(`${clinic} invited you to ReferLoop`, clinic, [
    `${clinic} invited you to ReferLoop, where clinics send each other referrals and follow them up.`,
    { label: 'Set your password to start', link: url },
    `The link works until ${zonedWhen(expiresAt, timeZone)}.`,
  ]);
}

/**
 * The email inviting someone not on ReferLoop to the referral a clinic sent them: the clinic and
 * the join link only, never the patient or the reason (it goes to an address nobody has verified).
 */
export function referralInviteEmail(clinic: string, url: string, urgent: boolean): EmailContent {
  const text = {
    title: `${clinic} wants to send you a referral on ReferLoop`,
    body: `${clinic} wants to send you a referral on ReferLoop, where clinics send each other referrals and follow them up.`,
  };
  const { title, body } = urgent ? urgentText(text) : text;
  return emailContent(title, clinic, [body, { label: 'Join to receive it (the link works once)', link: url }]);
}

/** The in-app notification types of admin rights granted and removed (outbox event `admin_rights.changed`). */
export const ADMIN_RIGHTS_GRANTED = 'admin_rights_granted';
export const ADMIN_RIGHTS_REMOVED = 'admin_rights_removed';

/**
 * What a user reads when another admin of their clinic grants or removes their admin rights: who
 * did it and what changed, nothing else (in-app only).
 */
export function adminRightsText(actorName: string, isAdmin: boolean): { title: string; body: string } {
  return isAdmin
    ? { title: 'You are now a clinic admin', body: `${actorName} made you a clinic admin. The Admin screens are in your menu.` }
    : { title: 'Clinic admin rights removed', body: `${actorName} removed your clinic admin rights.` };
}

/** The password reset email: the link and how long it works; nothing else about the account. */
export function passwordResetEmail(url: string): EmailContent {
  return emailContent('Reset your ReferLoop password', 'ReferLoop', [
    'Someone asked to reset the password of your ReferLoop account. If it was you, set a new password here within the next hour (the link works once):',
    { label: 'Set a new password', link: url },
    'If it was not you, ignore this email: your password stays as it is.',
  ]);
}

/**
 * Timeline events no webhook hears of: a re-sent join link concerns the sender's side alone, and
 * its new link is emailed to the invitee (it has no outbox event of its own).
 */
const TIMELINE_ONLY: readonly string[] = ['invite_resent'];

/** Event types a webhook may subscribe to (`*` for all). */
export const WEBHOOK_EVENT_TYPES = [
  '*',
  ...REFERRAL_EVENT_TYPES.filter((event) => !TIMELINE_ONLY.includes(event)).map((event) => `referral.${event}`),
];
