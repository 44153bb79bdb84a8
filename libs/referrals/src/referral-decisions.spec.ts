import { AppError, type Principal, REFERRAL_ACTIONS, type Role } from '@referloop/common';
import { assertRecipientEligible, assertRedFlagsUrgent, assertSenderRole } from './referral-rules';
import { assertRedirectable, validateFields } from './referrals.service';
import { REFERRAL_STATUSES, TRANSITIONS } from './state-machine/referral-state-machine';

// The pure rules behind the referral service: action body fields, who may redirect what, and the
// send rules. (The state machine has its own spec.)

const NOW = new Date('2026-03-01T12:00:00Z');
const principal = (userId: string, clinicId: string, role: Role): Principal => ({
  userId,
  clinicId,
  role,
  isAdmin: role === 'clinic_admin',
  sessionId: 's',
  client: { requestId: 'r' },
});

/** The AppError `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => void): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}
const fieldsOf = (error: AppError) => ((error.extensions?.errors ?? []) as { field: string }[]).map((e) => e.field).sort();

describe('validateFields (an action body)', () => {
  const value = {
    note: 'n',
    reason: 'r',
    appointmentAt: '2026-03-02T09:00:00Z',
    outcome: { summary: 's' },
    progress: { sessionsCompleted: 1, tolerance: 'well' },
  } as const;
  type Field = keyof typeof value;
  const FIELDS = Object.keys(value) as Field[];

  it.each(REFERRAL_ACTIONS.map((a) => [a]))('%s: takes exactly its required and optional fields', (action) => {
    const rules = TRANSITIONS[action].fields;
    const taken = FIELDS.filter((f) => rules[f]);
    const required = FIELDS.filter((f) => rules[f] === 'required');
    const full = Object.fromEntries(taken.map((f) => [f, value[f]]));
    expect(() => validateFields(action, rules, full, NOW)).not.toThrow();
    const minimal = Object.fromEntries(required.map((f) => [f, value[f]]));
    expect(() => validateFields(action, rules, minimal, NOW)).not.toThrow();

    if (required.length) {
      const error = thrown(() => validateFields(action, rules, {}, NOW));
      expect(error.code).toBe('validation_failed');
      expect(fieldsOf(error)).toEqual([...required].sort());
    }
    for (const extra of FIELDS.filter((f) => !rules[f])) {
      const error = thrown(() => validateFields(action, rules, { ...full, [extra]: value[extra] }, NOW));
      expect(fieldsOf(error)).toEqual([extra]);
    }
  });

  it('treats null like a missing field', () => {
    expect(fieldsOf(thrown(() => validateFields('decline', TRANSITIONS.decline.fields, { reason: null as never }, NOW)))).toEqual(
      ['reason'],
    );
  });

  it('wants an appointment in the future', () => {
    const rules = TRANSITIONS.schedule.fields;
    expect(() => validateFields('schedule', rules, { appointmentAt: '2026-03-01T12:00:01Z' }, NOW)).not.toThrow();
    for (const past of ['2026-03-01T12:00:00Z', '2026-02-28T09:00:00Z']) {
      const error = thrown(() => validateFields('schedule', rules, { appointmentAt: past }, NOW));
      expect(error.extensions?.errors).toEqual([{ field: 'appointmentAt', message: 'must be in the future' }]);
    }
  });
});

describe('assertRedirectable', () => {
  const ids = { sender: 's-user', senderClinic: 's-clinic', recipient: 'r-user', recipientClinic: 'r-clinic' };
  const patient = 'the-patient';
  type Facts = Parameters<typeof assertRedirectable>[1];
  const facts = (status: Facts['replacedStatus']): Facts =>
    ({
      replacedStatus: status,
      replacedSenderId: ids.sender,
      replacedSenderClinicId: ids.senderClinic,
      replacedRecipientId: ids.recipient,
      replacedRecipientClinicId: ids.recipientClinic,
      replacedSentAt: new Date('2026-03-01T15:30:00Z'),
      replacedPatientId: patient,
    }) as Facts;
  const sender = principal(ids.sender, ids.senderClinic, 'massage_therapist');
  const senderAdmin = principal('s-admin', ids.senderClinic, 'clinic_admin');
  const recipient = principal(ids.recipient, ids.recipientClinic, 'physical_therapist');
  const recipientAdmin = principal('r-admin', ids.recipientClinic, 'clinic_admin');
  const senderColleague = principal('s-other', ids.senderClinic, 'massage_therapist');

  it.each([['declined'], ['cancelled'], ['expired']] as const)('lets the sender side redirect a %s referral', (status) => {
    expect(() => assertRedirectable(sender, facts(status), patient)).not.toThrow();
    expect(() => assertRedirectable(senderAdmin, facts(status), patient)).not.toThrow();
  });

  it('refuses any other status with not_redirectable, naming it and the field', () => {
    for (const status of REFERRAL_STATUSES.filter((s) => !['declined', 'cancelled', 'expired'].includes(s))) {
      const error = thrown(() => assertRedirectable(sender, facts(status), patient));
      expect({ status, code: error.code, currentStatus: error.extensions?.currentStatus, fields: fieldsOf(error) }).toEqual({
        status,
        code: 'not_redirectable',
        currentStatus: status,
        fields: ['replacesId'],
      });
    }
  });

  it('lets the sender redirect a draft cancelled before it was sent, as any cancelled referral', () => {
    expect(() => assertRedirectable(sender, { ...facts('cancelled'), replacedSentAt: null }, patient)).not.toThrow();
  });

  it('refuses a referral that was already redirected, naming the field', () => {
    const error = thrown(() => assertRedirectable(sender, { ...facts('declined'), replacementId: 'next' }, patient));
    expect(error.code).toBe('not_redirectable');
    expect(fieldsOf(error)).toEqual(['replacesId']);
  });

  it('refuses another patient with not_redirectable, naming patientId', () => {
    const error = thrown(() => assertRedirectable(sender, facts('declined'), 'another-patient'));
    expect(error.code).toBe('not_redirectable');
    expect(fieldsOf(error)).toEqual(['patientId']);
  });

  it('answers not_found to the recipient side, a colleague, and a referral that does not exist', () => {
    for (const caller of [recipient, recipientAdmin, senderColleague]) {
      const error = thrown(() => assertRedirectable(caller, facts('declined'), patient));
      expect(error.code).toBe('not_found');
      expect(fieldsOf(error)).toEqual(['replacesId']);
    }
    expect(thrown(() => assertRedirectable(sender, facts(null), patient)).code).toBe('not_found');
  });
});

describe('send rules', () => {
  it('match the sender role to the kind', () => {
    expect(() => assertSenderRole('injury_care', 'massage_therapist')).not.toThrow();
    expect(() => assertSenderRole('maintenance_massage', 'physical_therapist')).not.toThrow();
    expect(thrown(() => assertSenderRole('injury_care', 'physical_therapist')).code).toBe('sender_role_mismatch');
    expect(thrown(() => assertSenderRole('maintenance_massage', 'clinic_admin')).code).toBe('sender_role_mismatch');
  });

  it('want an active recipient of the right type, licensed today (the expiry day included) and accepting', () => {
    const ok = {
      role: 'physical_therapist' as const,
      active: true,
      licenceExpiresOn: '2026-03-01',
      clinicTimezone: 'America/Los_Angeles',
      acceptingReferrals: true,
    };
    // 8 PM on March 1 in Los Angeles (already March 2 in UTC): the expiry day on the recipient's clinic's calendar.
    const now = new Date('2026-03-02T04:00:00Z');
    expect(() => assertRecipientEligible('injury_care', ok, now)).not.toThrow();
    const code = (recipient: typeof ok | Record<string, unknown>) =>
      thrown(() => assertRecipientEligible('injury_care', recipient as typeof ok, now)).code;
    expect(code({ ...ok, role: 'massage_therapist' })).toBe('recipient_type_mismatch');
    expect(code({ ...ok, licenceExpiresOn: '2026-02-28' })).toBe('licence_expired');
    expect(code({ ...ok, licenceExpiresOn: null })).toBe('licence_expired');
    expect(code({ ...ok, clinicTimezone: 'UTC' })).toBe('licence_expired');
    expect(code({ ...ok, acceptingReferrals: false })).toBe('recipient_not_accepting');
    expect(code({ ...ok, active: false })).toBe('recipient_not_accepting');
    expect(code({ ...ok, role: 'clinic_admin' })).toBe('recipient_type_mismatch');
  });

  it('want priority urgent when there is any red flag', () => {
    expect(() => assertRedFlagsUrgent('routine', [])).not.toThrow();
    expect(() => assertRedFlagsUrgent('urgent', ['fever'])).not.toThrow();
    const error = thrown(() => assertRedFlagsUrgent('routine', ['fever']));
    expect(error.code).toBe('red_flags_require_urgent');
    expect(fieldsOf(error)).toEqual(['priority']);
  });
});
