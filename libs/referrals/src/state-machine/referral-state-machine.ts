/**
 * The referral lifecycle as one table: (state, action) → next state, who may act, which body
 * fields the action takes. The service, the API's error answers (`allowedActions`) and clients
 * all read this table; there is no other place that decides a transition.
 */
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

export const REFERRAL_ACTIONS = [
  'send',
  'acknowledge',
  'accept',
  'decline',
  'request-info',
  'provide-info',
  'schedule',
  'unschedule',
  'reschedule',
  'start-care',
  'add-note',
  'send-outcome',
  'close',
  'cancel',
  'request-cancel',
  'confirm-cancel',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

/** Which side of the referral may act. Clinic admins act for the practitioners of their clinic. */
export type Party = 'sender' | 'recipient';

/** Body fields an action takes besides `version`. Anything not listed is refused. */
export type ActionField = 'note' | 'reason' | 'appointmentAt' | 'outcome';
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
] as const;
export type ReferralEventType = (typeof REFERRAL_EVENT_TYPES)[number];

export interface Transition {
  from: readonly ReferralStatus[];
  /** `null`: the status does not change (notes). */
  to: ReferralStatus | null;
  /** Who may take it: one side, or `either` (a note). */
  by: Party | 'either';
  fields: Partial<Record<ActionField, FieldRule>>;
  event: ReferralEventType;
}

export const TRANSITIONS: Record<ReferralAction, Transition> = {
  send: { from: ['draft'], to: 'sent', by: 'sender', fields: {}, event: 'sent' },
  acknowledge: { from: ['sent'], to: 'received', by: 'recipient', fields: {}, event: 'acknowledged' },
  accept: {
    from: ['sent', 'received'],
    to: 'accepted',
    by: 'recipient',
    fields: { note: 'optional' },
    event: 'accepted',
  },
  decline: {
    from: ['sent', 'received', 'info_requested'],
    to: 'declined',
    by: 'recipient',
    fields: { reason: 'required' },
    event: 'declined',
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
  },
  unschedule: {
    from: ['scheduled'],
    to: 'accepted',
    by: 'recipient',
    fields: { reason: 'required' },
    event: 'unscheduled',
  },
  reschedule: {
    from: ['scheduled'],
    to: 'scheduled',
    by: 'recipient',
    fields: { appointmentAt: 'required', reason: 'optional' },
    event: 'rescheduled',
  },
  'start-care': { from: ['scheduled'], to: 'in_care', by: 'recipient', fields: {}, event: 'care_started' },
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
  },
  close: { from: ['outcome_sent'], to: 'closed', by: 'sender', fields: {}, event: 'closed' },
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

/** Transitions the system performs on timers (no user acts). */
export const SYSTEM_TRANSITIONS = {
  expire: {
    from: ['sent', 'received', 'info_requested'] as ReferralStatus[],
    to: 'expired' as const,
    event: 'expired' as const,
  },
  'auto-close': { from: ['outcome_sent'] as ReferralStatus[], to: 'closed' as const, event: 'auto_closed' as const },
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
