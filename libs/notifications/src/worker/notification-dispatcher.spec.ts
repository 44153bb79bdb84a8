import { REFERRAL_EVENT_TYPES } from '@referloop/referrals';
import { type Audience, audiencesFor, notificationText } from '../notification-texts';
import { actorSide, recipientKnows, type ReferralEvent, targetsOf } from './notification-dispatcher';

// Who is told what: the pure decisions the dispatcher fans out from.

/** An event of a referral that was sent (`sent`: its sent_at is set), unless said otherwise. */
const event = (type: string, payload: ReferralEvent['payload'], sent = true): ReferralEvent => ({
  id: 'event-1',
  type: `referral.${type}`,
  referral_id: 'referral-1',
  payload,
  sender_id: 'sender',
  recipient_id: 'recipient',
  sender_clinic_id: 'sender-clinic',
  recipient_clinic_id: 'recipient-clinic',
  recipient_invite_id: null,
  sender_clinic: 'Sunrise Massage',
  recipient_clinic: 'Capitol Physio',
  urgent: false,
  sent,
});

describe('who hears of each referral event', () => {
  // From the product contract: in-app notifications per event (besides the patient's emails).
  const EXPECTED: Record<string, Audience[]> = {
    sent: ['recipient'],
    accepted: ['sender'],
    declined: ['sender'],
    info_requested: ['sender'],
    info_provided: ['recipient'],
    scheduled: ['sender'],
    unscheduled: ['sender'],
    rescheduled: ['sender'],
    outcome_sent: ['sender'],
    expired: ['sender'],
    cancelled: ['recipient'],
    cancel_requested: ['recipient'],
    cancel_confirmed: ['sender'],
    reminder_sent: ['recipient'],
    progress_reported: ['sender'],
    progress_report_due: ['recipient'],
    escalated: ['recipient_admins', 'sender'],
    recipient_joined: ['recipient', 'sender'],
  };

  const OTHER_SIDE_EVENTS: string[] = ['note_added', 'message', 'document_added'];

  it.each(REFERRAL_EVENT_TYPES.filter((t) => !OTHER_SIDE_EVENTS.includes(t)).map((t) => [t]))('%s', (type) => {
    const audiences = [...audiencesFor(type, 'system')].sort();
    expect(audiences).toEqual([...(EXPECTED[type] ?? [])].sort());
    for (const audience of audiences)
      expect(notificationText(type, audience, { senderClinic: 'A', recipientClinic: 'B', urgent: false })).toBeDefined();
  });

  it.each(OTHER_SIDE_EVENTS.map((t) => [t]))('tells the other side of a %s, never its author', (type) => {
    expect(audiencesFor(type, 'sender')).toEqual(['recipient']);
    expect(audiencesFor(type, 'recipient')).toEqual(['sender']);
  });

  it('names clinics, never patients, in the texts', () => {
    const context = { senderClinic: 'Sunrise Massage', recipientClinic: 'Capitol Physio', urgent: false };
    const text = notificationText('sent', 'recipient', context);
    expect(text).toEqual({ title: 'New referral from Sunrise Massage', body: 'You have a new referral from Sunrise Massage.' });
  });

  it('says "Urgent" in every text of an urgent referral', () => {
    const context = { senderClinic: 'Sunrise Massage', recipientClinic: 'Capitol Physio', urgent: true };
    expect(notificationText('sent', 'recipient', context)).toEqual({
      title: 'Urgent: New referral from Sunrise Massage',
      body: 'Urgent referral. You have a new referral from Sunrise Massage.',
    });
    for (const type of REFERRAL_EVENT_TYPES) {
      for (const audience of ['sender', 'recipient', 'recipient_admins'] as const) {
        const text = notificationText(type, audience, context);
        if (text) expect(text.title.startsWith('Urgent: ')).toBe(true);
      }
    }
  });
});

describe('recipientKnows', () => {
  it('is false while the recipient is someone invited who has not joined', () => {
    expect(
      recipientKnows({ ...event('sent', { fromStatus: 'draft', toStatus: 'sent' }), recipient_id: null as unknown as string }),
    ).toBe(false);
  });

  it('is false while the referral is a draft, true from its sending on', () => {
    expect(recipientKnows(event('created', { fromStatus: null, toStatus: 'draft' }, false))).toBe(false);
    expect(recipientKnows(event('cancelled', { fromStatus: 'draft', toStatus: 'cancelled' }, false))).toBe(false);
    // Even were its events to say otherwise, a referral never sent stays unknown to the recipient side.
    expect(recipientKnows(event('note_added', { fromStatus: 'accepted', toStatus: 'accepted' }, false))).toBe(false);
    expect(recipientKnows(event('sent', { fromStatus: 'draft', toStatus: 'sent' }))).toBe(true);
    expect(recipientKnows(event('cancelled', { fromStatus: 'sent', toStatus: 'cancelled' }))).toBe(true);
    expect(recipientKnows(event('note_added', { fromStatus: 'in_care', toStatus: 'in_care' }))).toBe(true);
  });
});

describe('actorSide', () => {
  const clinics = new Map([
    ['sender-admin', 'sender-clinic'],
    ['recipient-admin', 'recipient-clinic'],
  ]);
  it('places the actor, an admin acting for their clinic included, or the system', () => {
    const side = (actorId: string | null) => actorSide(event('note_added', { actorId }), clinics);
    expect(side('sender')).toBe('sender');
    expect(side('recipient')).toBe('recipient');
    expect(side('sender-admin')).toBe('sender');
    expect(side('recipient-admin')).toBe('recipient');
    expect(side(null)).toBe('system');
  });
});

describe('targetsOf', () => {
  const admins = [
    { id: 'recipient-admin', clinic_id: 'recipient-clinic' },
    { id: 'other-admin', clinic_id: 'other-clinic' },
  ];
  const e = event('escalated', { fromStatus: 'sent', toStatus: 'sent' });

  it('resolves each audience to users of the right clinic', () => {
    expect(targetsOf(e, 'sender', true, admins)).toEqual([{ userId: 'sender', clinicId: 'sender-clinic' }]);
    expect(targetsOf(e, 'recipient', true, admins)).toEqual([{ userId: 'recipient', clinicId: 'recipient-clinic' }]);
    expect(targetsOf(e, 'recipient_admins', true, admins)).toEqual([{ userId: 'recipient-admin', clinicId: 'recipient-clinic' }]);
  });

  it('tells the recipient nothing of a referral they cannot see yet', () => {
    expect(targetsOf(e, 'recipient', false, admins)).toEqual([]);
  });
});
