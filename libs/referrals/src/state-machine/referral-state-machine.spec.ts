import { REFERRAL_ACTIONS, type ReferralAction } from '@referloop/common';
import { SPEC_ACTIONS, SPEC_STATES, type SpecAction } from '@referloop/testing/spec-lifecycle';
import {
  actionsFrom,
  allowedActions,
  checkTransition,
  isReferralAction,
  mayAct,
  type Party,
  REDIRECTABLE_STATUSES,
  REFERRAL_STATUSES,
  type ReferralStatus,
  SYSTEM_TRANSITIONS,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from './referral-state-machine';

const SPEC: Record<ReferralAction, SpecAction> = SPEC_ACTIONS;

const PARTY_SETS: { label: string; parties: Party[] }[] = [
  { label: 'sender', parties: ['sender'] },
  { label: 'recipient', parties: ['recipient'] },
  { label: 'both sides', parties: ['sender', 'recipient'] },
  { label: 'no side', parties: [] },
];

function specMayAct(action: ReferralAction, parties: readonly Party[]): boolean {
  const who = SPEC[action].who;
  return who === 'either' ? parties.length > 0 : parties.includes(who);
}

function specAllowed(status: ReferralStatus, parties: readonly Party[]): ReferralAction[] {
  return (Object.keys(SPEC) as ReferralAction[]).filter((a) => SPEC[a].from.includes(status) && specMayAct(a, parties));
}

describe('referral state machine', () => {
  it('has exactly the statuses and actions of the spec', () => {
    expect([...REFERRAL_STATUSES].sort()).toEqual([...SPEC_STATES].sort());
    expect([...REFERRAL_ACTIONS].sort()).toEqual(Object.keys(SPEC).sort());
    expect(Object.keys(TRANSITIONS).sort()).toEqual(Object.keys(SPEC).sort());
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'closed', 'declined', 'expired']);
    expect([...REDIRECTABLE_STATUSES].sort()).toEqual(['cancelled', 'declined', 'expired']);
  });

  describe.each(REFERRAL_ACTIONS.map((action) => [action]))('%s', (action) => {
    const spec = SPEC[action];

    it('applies from the spec states, leads to the spec state, and is taken by the spec party', () => {
      const t = TRANSITIONS[action];
      expect([...t.from].sort()).toEqual([...spec.from].sort());
      expect(t.to ?? 'same').toBe(spec.to);
      expect(t.by).toBe(spec.who);
    });

    it('takes the spec body fields: the required ones required, nothing the spec does not list', () => {
      const fields = TRANSITIONS[action].fields;
      const required = Object.entries(fields)
        .filter(([, rule]) => rule === 'required')
        .map(([f]) => f);
      expect(required.sort()).toEqual([...spec.required].sort());
      for (const optional of spec.optional) expect(fields[optional as keyof typeof fields]).toBe('optional');
      // `schedule` may also carry an optional note; no action takes a field outside the five known ones.
      for (const field of Object.keys(fields))
        expect(['note', 'reason', 'appointmentAt', 'outcome', 'progress']).toContain(field);
    });

    it.each(SPEC_STATES.flatMap((status) => PARTY_SETS.map((p) => [status, p.label, p.parties] as const)))(
      'from %s, acting as %s',
      (status, _label, parties) => {
        const check = checkTransition(status, action, parties);
        if (!spec.from.includes(status)) {
          // The state is checked before the party: whoever asks, the answer is invalid_transition.
          expect(check).toEqual({ ok: false, reason: 'invalid_transition' });
        } else if (specMayAct(action, parties)) {
          expect(check).toMatchObject({ ok: true, next: spec.to === 'same' ? status : spec.to });
        } else {
          expect(check).toMatchObject({ ok: false, reason: 'forbidden' });
        }
      },
    );
  });

  describe('allowedActions per party', () => {
    it.each(SPEC_STATES.flatMap((status) => PARTY_SETS.map((p) => [status, p.label, p.parties] as const)))(
      '%s as %s',
      (status, _label, parties) => {
        expect([...allowedActions(status, parties)].sort()).toEqual(specAllowed(status, parties).sort());
      },
    );

    it('gives the sender and the recipient of a sent referral their own, disjoint, actions', () => {
      expect([...allowedActions('sent', ['sender'])].sort()).toEqual(['cancel']);
      expect([...allowedActions('sent', ['recipient'])].sort()).toEqual(['accept', 'acknowledge', 'decline', 'request-info']);
    });

    it.each(SPEC_STATES.map((s) => [s]))('actionsFrom(%s) lists every action possible from it, whoever takes it', (status) => {
      const expected = (Object.keys(SPEC) as ReferralAction[]).filter((a) => SPEC[a].from.includes(status));
      expect([...actionsFrom(status)].sort()).toEqual(expected.sort());
    });

    it.each(['closed', 'declined', 'cancelled', 'expired'] as const)('offers nothing from the terminal state %s', (status) => {
      expect(actionsFrom(status)).toEqual([]);
      expect(allowedActions(status, ['sender', 'recipient'])).toEqual([]);
    });

    it('offers nothing to a caller who is no party', () => {
      for (const status of SPEC_STATES) expect(allowedActions(status, [])).toEqual([]);
    });
  });

  describe('add-note', () => {
    it.each(['accepted', 'scheduled', 'in_care'] as const)(
      'may be taken by either party from %s and keeps the status',
      (status) => {
        for (const parties of [['sender'], ['recipient'], ['sender', 'recipient']] as Party[][]) {
          expect(mayAct('add-note', parties)).toBe(true);
          expect(checkTransition(status, 'add-note', parties)).toMatchObject({ ok: true, next: status });
          expect(allowedActions(status, parties)).toContain('add-note');
        }
        expect(mayAct('add-note', [])).toBe(false);
        expect(checkTransition(status, 'add-note', [])).toMatchObject({ ok: false, reason: 'forbidden' });
      },
    );

    it('is the only action either side may take: every other action belongs to exactly one side', () => {
      expect(REFERRAL_ACTIONS.filter((a) => TRANSITIONS[a].by === 'either')).toEqual(['add-note']);
      for (const action of REFERRAL_ACTIONS) {
        const by = TRANSITIONS[action].by;
        if (by === 'either') continue;
        const other: Party = by === 'sender' ? 'recipient' : 'sender';
        expect(mayAct(action, [by])).toBe(true);
        expect(mayAct(action, [other])).toBe(false);
      }
    });
  });

  describe('checkTransition order', () => {
    it('answers invalid_transition, not forbidden, when both the state and the party are wrong', () => {
      // `accept` is the recipient's, and not possible from draft: the state decides.
      expect(checkTransition('draft', 'accept', ['sender'])).toEqual({ ok: false, reason: 'invalid_transition' });
      expect(checkTransition('closed', 'close', ['recipient'])).toEqual({ ok: false, reason: 'invalid_transition' });
      expect(checkTransition('expired', 'cancel', [])).toEqual({ ok: false, reason: 'invalid_transition' });
    });

    it('answers forbidden naming the party that takes the action when only the party is wrong', () => {
      expect(checkTransition('received', 'accept', ['sender'])).toEqual({ ok: false, reason: 'forbidden', by: 'recipient' });
      expect(checkTransition('draft', 'send', ['recipient'])).toEqual({ ok: false, reason: 'forbidden', by: 'sender' });
      expect(checkTransition('outcome_sent', 'close', [])).toEqual({ ok: false, reason: 'forbidden', by: 'sender' });
    });

    it('returns the transition itself on success', () => {
      const check = checkTransition('in_care', 'send-outcome', ['recipient']);
      expect(check).toEqual({ ok: true, transition: TRANSITIONS['send-outcome'], next: 'outcome_sent' });
    });
  });

  describe('system transitions', () => {
    it('expire from sent, received and info_requested; auto-close from outcome_sent', () => {
      expect([...SYSTEM_TRANSITIONS.expire.from].sort()).toEqual(['info_requested', 'received', 'sent']);
      expect(SYSTEM_TRANSITIONS.expire.to).toBe('expired');
      expect(SYSTEM_TRANSITIONS['auto-close'].from).toEqual(['outcome_sent']);
      expect(SYSTEM_TRANSITIONS['auto-close'].to).toBe('closed');
    });

    it('are not actions a user can call', () => {
      expect(isReferralAction('expire')).toBe(false);
      expect(isReferralAction('auto-close')).toBe(false);
      expect(isReferralAction('send')).toBe(true);
      expect(isReferralAction('__proto__')).toBe(false);
    });
  });
});
