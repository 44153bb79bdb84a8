/**
 * SPEC.md's referral lifecycle ("Referral lifecycle"), written out by hand, apart from the code's
 * table (libs/referrals/src/state-machine), so tests check the code against the contract rather
 * than against itself: the unit test of the table and the e2e tests of the API read this one copy.
 */

/** Every state the lifecycle names, in its order: what a client must handle. */
export const SPEC_STATES = [
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
export type SpecState = (typeof SPEC_STATES)[number];

export type SpecParty = 'sender' | 'recipient';

/** One action's row: from which states, to which (`same`: the state stays), who takes it, its body fields. */
export interface SpecAction {
  from: SpecState[];
  to: SpecState | 'same';
  who: SpecParty | 'either';
  required: string[];
  optional: string[];
}

export const SPEC_ACTIONS: Record<string, SpecAction> = {
  send: { from: ['draft'], to: 'sent', who: 'sender', required: [], optional: [] },
  acknowledge: { from: ['sent'], to: 'received', who: 'recipient', required: [], optional: [] },
  accept: { from: ['sent', 'received'], to: 'accepted', who: 'recipient', required: [], optional: ['note'] },
  decline: { from: ['sent', 'received', 'info_requested'], to: 'declined', who: 'recipient', required: ['reason'], optional: [] },
  'request-info': { from: ['sent', 'received'], to: 'info_requested', who: 'recipient', required: ['reason'], optional: [] },
  'provide-info': { from: ['info_requested'], to: 'received', who: 'sender', required: ['note'], optional: [] },
  schedule: { from: ['accepted'], to: 'scheduled', who: 'recipient', required: ['appointmentAt'], optional: [] },
  unschedule: { from: ['scheduled'], to: 'accepted', who: 'recipient', required: ['reason'], optional: [] },
  reschedule: { from: ['scheduled'], to: 'scheduled', who: 'recipient', required: ['appointmentAt'], optional: ['reason'] },
  'start-care': { from: ['scheduled'], to: 'in_care', who: 'recipient', required: [], optional: [] },
  'report-progress': {
    from: ['accepted', 'scheduled', 'in_care'],
    to: 'same',
    who: 'recipient',
    required: ['progress'],
    optional: [],
  },
  'add-note': { from: ['accepted', 'scheduled', 'in_care'], to: 'same', who: 'either', required: ['note'], optional: [] },
  'send-outcome': { from: ['in_care'], to: 'outcome_sent', who: 'recipient', required: ['outcome'], optional: [] },
  close: { from: ['outcome_sent'], to: 'closed', who: 'sender', required: [], optional: [] },
  cancel: {
    from: ['draft', 'sent', 'received', 'info_requested'],
    to: 'cancelled',
    who: 'sender',
    required: ['reason'],
    optional: [],
  },
  'request-cancel': {
    from: ['accepted', 'scheduled', 'in_care'],
    to: 'cancel_requested',
    who: 'sender',
    required: ['reason'],
    optional: [],
  },
  'confirm-cancel': { from: ['cancel_requested'], to: 'cancelled', who: 'recipient', required: [], optional: [] },
};

/** The actions SPEC.md allows `party` from `status`, sorted. */
export function specAllowedActions(status: SpecState, party: SpecParty): string[] {
  return Object.entries(SPEC_ACTIONS)
    .filter(([, a]) => a.from.includes(status) && (a.who === 'either' || a.who === party))
    .map(([action]) => action)
    .sort();
}
