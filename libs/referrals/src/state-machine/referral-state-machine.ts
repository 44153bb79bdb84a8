/**
 * The referral lifecycle as one table: (state, action) → next state, who may act, which body
 * fields the action takes. The service, the API's error answers (`allowedActions`) and clients
 * all read this table; there is no other place that decides a transition.
 */
// By its module: the web app's check of its action events (action-events.spec.ts) reads this file.
import { REFERRAL_ACTIONS, type ReferralAction } from '@referloop/common/reference-data';

export const REFERRAL_STATUSES = [
  'draft',
  'sent',
  'received',
  'info_requested',
  'accepted',
  'scheduled',
  'in_care',
  'outcome_sent',
  'closed',
  'declined',
  'cancel_requested',
  'cancelled',
  'expired',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ReferralStatus[] = ['closed', 'declined', 'cancelled', 'expired'];
/** A referral in one of these may be redirected: a new referral with `replacesId` pointing at it. */
export const REDIRECTABLE_STATUSES: readonly ReferralStatus[] = ['declined', 'cancelled', 'expired'];

/** Which side of the referral may act. Clinic admins act for the practitioners of their clinic. */
export type Party = 'sender' | 'recipient';

/** Body fields an action takes besides `version`. Anything not listed is refused. */
export type ActionField = 'note' | 'reason' | 'appointmentAt' | 'outcome' | 'progress';
export type FieldRule = 'required' | 'optional';

export const REFERRAL_EVENT_TYPES = [
  'created',
  'draft_updated',
  'sent',
  'acknowledged',
  'accepted',
  'declined',
  'info_requested',
  'info_provided',
  'scheduled',
  'unscheduled',
  'rescheduled',
  'care_started',
  'progress_reported',
  'note_added',
  'message',
  'document_added',
  'outcome_sent',
  'closed',
  'cancelled',
  'cancel_requested',
  'cancel_confirmed',
  'expired',
  'auto_closed',
  'reminder_sent',
  'escalated',
  'reassigned',
  'recipient_joined',
  /** The sender's side made a new join link for the invited recipient (the old one stopped working). */
  'invite_resent',
  /** The system: a maintenance plan's report period ended without a progress report (once per period). */
  'progress_report_due',
] as const;
export type ReferralEventType = (typeof REFERRAL_EVENT_TYPES)[number];

/** Timestamp columns an action (or a system transition) stamps with the clock's now. */
export const REFERRAL_STAMPS = ['sent_at', 'responded_at', 'closed_at'] as const;
export type ReferralStamp = (typeof REFERRAL_STAMPS)[number];

/** Body fields an action stores in the referral's own columns (besides its event). */
export type StoredField = 'appointmentAt' | 'outcome';

/** Body fields an action writes as a row of their own table, in the action's statement (`progress` → referral_progress). */
export type RecordedField = 'progress';

export interface Transition {
  from: readonly ReferralStatus[];
  /** `null`: the status does not change (notes). */
  to: ReferralStatus | null;
  /** Who may take it: one side, or `either` (a note). */
  by: Party | 'either';
  fields: Partial<Record<ActionField, FieldRule>>;
  event: ReferralEventType;
  /** Columns set to the clock's now by the action's statement. */
  stamps?: readonly ReferralStamp[];
  /** Body fields written to their columns (`appointmentAt` → appointment_at, `outcome` → outcome). */
  stores?: readonly StoredField[];
  /** Columns of stored fields the action clears (unschedule: the appointment). */
  clears?: readonly StoredField[];
  /** Body fields written as a row of their own table in the same statement (report-progress: its report). */
  records?: readonly RecordedField[];
}

/**
 * The response clock (reminders, escalation, expiry) pauses while a referral is in one of these:
 * entering one records when the pause began, leaving it adds the pause to the paused total.
 */
export const CLOCK_PAUSED_STATUSES: readonly ReferralStatus[] = ['info_requested'];

/** Referrals awaiting the recipient's decision, to whom reminders and escalations apply. */
export const AWAITING_DECISION_STATUSES: readonly ReferralStatus[] = ['sent', 'received'];

export const TRANSITIONS: Record<ReferralAction, Transition> = {
  send: { from: ['draft'], to: 'sent', by: 'sender', fields: {}, event: 'sent', stamps: ['sent_at'] },
  acknowledge: { from: ['sent'], to: 'received', by: 'recipient', fields: {}, event: 'acknowledged' },
  accept: {
    from: ['sent', 'received'],
    to: 'accepted',
    by: 'recipient',
    fields: { note: 'optional' },
    event: 'accepted',
    stamps: ['responded_at'],
  },
  decline: {
    from: ['sent', 'received', 'info_requested'],
    to: 'declined',
    by: 'recipient',
    fields: { reason: 'required' },
    event: 'declined',
    stamps: ['responded_at'],
  },
  'request-info': {
    from: ['sent', 'received'],
    to: 'info_requested',
    by: 'recipient',
    fields: { reason: 'required' },
    event: 'info_requested',
  },
  'provide-info': {
    from: ['info_requested'],
    to: 'received',
    by: 'sender',
    fields: { note: 'required' },
    event: 'info_provided',
  },
  schedule: {
    from: ['accepted'],
    to: 'scheduled',
    by: 'recipient',
    fields: { appointmentAt: 'required', note: 'optional' },
    event: 'scheduled',
    stores: ['appointmentAt'],
  },
  unschedule: {
    from: ['scheduled'],
    to: 'accepted',
    by: 'recipient',
    fields: { reason: 'required' },
    event: 'unscheduled',
    clears: ['appointmentAt'],
  },
  reschedule: {
    from: ['scheduled'],
    to: 'scheduled',
    by: 'recipient',
    fields: { appointmentAt: 'required', reason: 'optional' },
    event: 'rescheduled',
    stores: ['appointmentAt'],
  },
  'start-care': { from: ['scheduled'], to: 'in_care', by: 'recipient', fields: {}, event: 'care_started' },
  'report-progress': {
    from: ['accepted', 'scheduled', 'in_care'],
    to: null,
    by: 'recipient',
    fields: { progress: 'required' },
    event: 'progress_reported',
    records: ['progress'],
  },
  'add-note': {
    from: ['accepted', 'scheduled', 'in_care'],
    to: null,
    by: 'either',
    fields: { note: 'required' },
    event: 'note_added',
  },
  'send-outcome': {
    from: ['in_care'],
    to: 'outcome_sent',
    by: 'recipient',
    fields: { outcome: 'required' },
    event: 'outcome_sent',
    stores: ['outcome'],
  },
  close: { from: ['outcome_sent'], to: 'closed', by: 'sender', fields: {}, event: 'closed', stamps: ['closed_at'] },
  cancel: {
    from: ['draft', 'sent', 'received', 'info_requested'],
    to: 'cancelled',
    by: 'sender',
    fields: { reason: 'required' },
    event: 'cancelled',
  },
  'request-cancel': {
    from: ['accepted', 'scheduled', 'in_care'],
    to: 'cancel_requested',
    by: 'sender',
    fields: { reason: 'required' },
    event: 'cancel_requested',
  },
  'confirm-cancel': {
    from: ['cancel_requested'],
    to: 'cancelled',
    by: 'recipient',
    fields: {},
    event: 'cancel_confirmed',
  },
};

export function mayAct(action: ReferralAction, parties: readonly Party[]): boolean {
  const { by } = TRANSITIONS[action];
  return by === 'either' ? parties.length > 0 : parties.includes(by);
}

export type SystemAction = 'expire' | 'auto-close';

export interface SystemTransition {
  from: readonly ReferralStatus[];
  to: ReferralStatus;
  /** Also the name of its audit action (`referral.<event>`). */
  event: Extract<ReferralEventType, 'expired' | 'auto_closed'>;
  stamps: readonly ReferralStamp[];
  /** What starts the clock that makes it due: the response clock, or the outcome having been sent. */
  clock: 'response' | 'outcome';
}

/** Transitions the system performs on timers (no user acts): the timers read them from here. */
export const SYSTEM_TRANSITIONS: Record<SystemAction, SystemTransition> = {
  expire: { from: ['sent', 'received', 'info_requested'], to: 'expired', event: 'expired', stamps: [], clock: 'response' },
  'auto-close': { from: ['outcome_sent'], to: 'closed', event: 'auto_closed', stamps: ['closed_at'], clock: 'outcome' },
};

/** Actions possible from `status` at all (whoever acts). */
export function actionsFrom(status: ReferralStatus): ReferralAction[] {
  return REFERRAL_ACTIONS.filter((action) => TRANSITIONS[action].from.includes(status));
}

/** Actions the caller, acting as `parties`, may take now. */
export function allowedActions(status: ReferralStatus, parties: readonly Party[]): ReferralAction[] {
  return actionsFrom(status).filter((action) => mayAct(action, parties));
}

export type TransitionCheck =
  | { ok: true; transition: Transition; next: ReferralStatus }
  | { ok: false; reason: 'invalid_transition' }
  | { ok: false; reason: 'forbidden'; by: Transition['by'] };

/** Decides whether `parties` may take `action` from `status`. State is checked before the actor. */
export function checkTransition(status: ReferralStatus, action: ReferralAction, parties: readonly Party[]): TransitionCheck {
  const transition = TRANSITIONS[action];
  if (!transition.from.includes(status)) return { ok: false, reason: 'invalid_transition' };
  if (!mayAct(action, parties)) return { ok: false, reason: 'forbidden', by: transition.by };
  return { ok: true, transition, next: transition.to ?? status };
}

export function isReferralAction(value: string): value is ReferralAction {
  return (REFERRAL_ACTIONS as readonly string[]).includes(value);
}
