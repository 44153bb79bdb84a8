import { REFERRAL_EVENT_TYPES } from '@referloop/referrals';
import { type Audience, notificationText, referralEmail, referralInviteEmail } from './notification-texts';
import {
  actorSide,
  type EventFacts,
  recipientKnows,
  type ReferralFacts,
  reminderStillDue,
  tellsRecipientAdmins,
  whoIsTold,
  withStandIns,
} from './who-is-told';

// Who is told what: the one decision the dispatcher fans out from.

const SENT: ReferralFacts = {
  senderId: 'sender',
  senderClinicId: 'sender-clinic',
  recipientId: 'recipient',
  recipientClinicId: 'recipient-clinic',
  recipientInviteId: null,
  sent: true,
};
const DRAFT: ReferralFacts = { ...SENT, sent: false };
const INVITED: ReferralFacts = { ...SENT, recipientId: null, recipientClinicId: null, recipientInviteId: 'invite-1' };

const on = (event: string, facts: Omit<EventFacts, 'type'> = {}): EventFacts => ({
  type: `referral.${event}`,
  fromStatus: 'accepted',
  toStatus: 'accepted',
  ...facts,
});
const audiences = (told: ReturnType<typeof whoIsTold>) => told.users.map((u) => u.audience).sort();

describe('whoIsTold: practitioners, per event of a sent referral', () => {
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
    care_started: ['sender'],
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

  it.each(REFERRAL_EVENT_TYPES.filter((t) => !OTHER_SIDE_EVENTS.includes(t) && t !== 'reassigned').map((t) => [t]))(
    '%s',
    (type) => {
      const told = whoIsTold(on(type, { fromStatus: 'sent', toStatus: 'sent' }), SENT, { recipientAdmins: ['admin-1'] });
      expect(audiences(told)).toEqual([...(EXPECTED[type] ?? [])].sort());
      for (const { audience } of told.users)
        expect(notificationText(type, audience, { senderClinic: 'A', recipientClinic: 'B', urgent: false })).toBeDefined();
    },
  );

  it.each(OTHER_SIDE_EVENTS.map((t) => [t]))('tells the other side of a %s, never its author', (type) => {
    expect(whoIsTold(on(type, { actorId: 'sender' }), SENT).users).toEqual([
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' },
    ]);
    expect(whoIsTold(on(type, { actorId: 'recipient' }), SENT).users).toEqual([
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender' },
    ]);
    // An admin acts for their clinic's side.
    expect(audiences(whoIsTold(on(type, { actorId: 'sender-admin' }), SENT, { actorClinicId: 'sender-clinic' }))).toEqual([
      'recipient',
    ]);
    expect(audiences(whoIsTold(on(type, { actorId: 'recipient-admin' }), SENT, { actorClinicId: 'recipient-clinic' }))).toEqual([
      'sender',
    ]);
  });

  it('a cancel tells the recipient, and the sender too when an admin of their clinic cancelled it for them', () => {
    const cancel = (actorId: string) => on('cancelled', { fromStatus: 'sent', toStatus: 'cancelled', actorId });
    // The sender cancelled it: they know; the recipient is told.
    expect(whoIsTold(cancel('sender'), SENT).users).toEqual([
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' },
    ]);
    // Their clinic's admin cancelled it: the loop tells the sender how their referral ended, never the admin.
    const byAdmin = whoIsTold(cancel('sender-admin'), SENT, { actorClinicId: 'sender-clinic' });
    expect(byAdmin.users).toEqual([
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' },
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender_by_admin' },
    ]);
    expect(
      notificationText('cancelled', 'sender_by_admin', { senderClinic: 'A', recipientClinic: 'Capitol Physio', urgent: false }),
    ).toEqual({
      title: 'Referral cancelled',
      body: 'An admin of your clinic cancelled your referral to Capitol Physio.',
    });
    // Also before someone invited has joined (nobody on the recipient side yet).
    expect(whoIsTold(cancel('sender-admin'), INVITED, { actorClinicId: 'sender-clinic' }).users).toEqual([
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender_by_admin' },
    ]);
    // A deactivated sender's admins stand in, except the admin who cancelled it.
    const admins = new Map([['sender-clinic', ['sender-admin', 'admin-2']]]);
    expect(withStandIns(byAdmin, new Set(['sender']), admins, 'sender-admin').users).toEqual([
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' },
      { userId: 'admin-2', clinicId: 'sender-clinic', audience: 'sender_by_admin' },
    ]);
  });

  // What an admin does for a practitioner of their clinic (the front desk books the PT's patient),
  // that practitioner hears of: they did not do it themselves. The other side is told as always.
  const DONE_BY_ADMIN: [string, 'sender' | 'recipient', string][] = [
    ['sent', 'sender', 'An admin of your clinic sent your referral to Capitol Physio.'],
    [
      'info_provided',
      'sender',
      'An admin of your clinic answered the request for information on your referral to Capitol Physio.',
    ],
    ['cancel_requested', 'sender', 'An admin of your clinic asked to cancel your referral to Capitol Physio.'],
    ['cancelled', 'sender', 'An admin of your clinic cancelled your referral to Capitol Physio.'],
    ['closed', 'sender', 'An admin of your clinic closed your referral to Capitol Physio.'],
    ['accepted', 'recipient', 'An admin of your clinic accepted the referral from Sunrise Massage.'],
    ['declined', 'recipient', 'An admin of your clinic declined the referral from Sunrise Massage.'],
    ['info_requested', 'recipient', 'An admin of your clinic asked for more information on the referral from Sunrise Massage.'],
    ['scheduled', 'recipient', 'An admin of your clinic scheduled an appointment for the referral from Sunrise Massage.'],
    ['rescheduled', 'recipient', 'An admin of your clinic moved the appointment for the referral from Sunrise Massage.'],
    ['unscheduled', 'recipient', 'An admin of your clinic removed the appointment for the referral from Sunrise Massage.'],
    ['care_started', 'recipient', 'An admin of your clinic recorded the first visit for the referral from Sunrise Massage.'],
    ['progress_reported', 'recipient', 'An admin of your clinic reported progress on the referral from Sunrise Massage.'],
    ['outcome_sent', 'recipient', 'An admin of your clinic sent the outcome of the referral from Sunrise Massage.'],
    ['cancel_confirmed', 'recipient', 'An admin of your clinic confirmed the cancellation of the referral from Sunrise Massage.'],
  ];
  it.each(DONE_BY_ADMIN)("%s taken by an admin for the %s's practitioner tells that practitioner too", (event, side, body) => {
    const context = { senderClinic: 'Sunrise Massage', recipientClinic: 'Capitol Physio', urgent: false };
    const practitioner = side === 'sender' ? 'sender' : 'recipient';
    const byThemselves = whoIsTold(on(event, { fromStatus: 'received', actorId: practitioner }), SENT);
    const byAdmin = whoIsTold(on(event, { fromStatus: 'received', actorId: `${side}-admin` }), SENT, {
      actorClinicId: `${side}-clinic`,
    });
    expect(byAdmin.users).toEqual([
      ...byThemselves.users,
      { userId: practitioner, clinicId: `${side}-clinic`, audience: `${side}_by_admin` },
    ]);
    expect(notificationText(event, `${side}_by_admin`, context)?.body).toBe(body);
    // In a referral within one clinic its admin acts for either side: the action says for whom.
    const oneClinic = { ...SENT, recipientClinicId: 'sender-clinic' };
    const inOneClinic = whoIsTold(on(event, { fromStatus: 'received', actorId: 'admin' }), oneClinic, {
      actorClinicId: 'sender-clinic',
    });
    expect(inOneClinic.users.filter((u) => u.audience.endsWith('_by_admin'))).toEqual([
      { userId: practitioner, clinicId: 'sender-clinic', audience: `${side}_by_admin` },
    ]);
  });

  it("in a referral within one clinic, an admin who is one side's practitioner and acts for the other is not told of it", () => {
    const oneClinic = { ...SENT, recipientClinicId: 'sender-clinic' };
    // The sender, an admin of the clinic, books the appointment for the recipient (the front desk's work).
    const booked = whoIsTold(on('scheduled', { actorId: 'sender' }), oneClinic, { actorClinicId: 'sender-clinic' });
    expect(booked.users).toEqual([{ userId: 'recipient', clinicId: 'sender-clinic', audience: 'recipient_by_admin' }]);
    // The recipient, an admin of the clinic, cancels the sender's referral.
    const cancelled = whoIsTold(on('cancelled', { fromStatus: 'received', actorId: 'recipient' }), oneClinic, {
      actorClinicId: 'sender-clinic',
    });
    expect(cancelled.users).toEqual([{ userId: 'sender', clinicId: 'sender-clinic', audience: 'sender_by_admin' }]);
  });

  it('an action nobody takes for a practitioner (the timers, a note) tells nobody it was done for them', () => {
    for (const event of ['expired', 'auto_closed', 'reminder_sent', 'note_added', 'message', 'acknowledged', 'reassigned']) {
      const told = whoIsTold(
        on(event, { actorId: event === 'expired' ? null : 'recipient-admin', side: 'recipient', toPractitionerId: 'new-pt' }),
        SENT,
        {
          actorClinicId: 'recipient-clinic',
        },
      );
      expect(told.users.filter((u) => u.audience.endsWith('_by_admin'))).toEqual([]);
    }
  });

  it('escalation tells the sender and every active admin of the recipient clinic', () => {
    const told = whoIsTold(on('escalated', { fromStatus: 'sent', toStatus: 'sent', actorId: null }), SENT, {
      recipientAdmins: ['admin-1', 'admin-2'],
    });
    expect(told.users).toEqual([
      { userId: 'admin-1', clinicId: 'recipient-clinic', audience: 'recipient_admins' },
      { userId: 'admin-2', clinicId: 'recipient-clinic', audience: 'recipient_admins' },
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender' },
    ]);
    expect(tellsRecipientAdmins('referral.escalated')).toBe(true);
    expect(tellsRecipientAdmins('referral.accepted')).toBe(false);
  });

  it('a progress report tells the sender (whoever on the recipient side reported), both webhooks, never the patient', () => {
    for (const facts of [{ actorId: 'recipient' }, { actorId: 'recipient-admin' }]) {
      const told = whoIsTold(on('progress_reported', { ...facts, fromStatus: 'in_care', toStatus: 'in_care' }), SENT, {
        actorClinicId: 'recipient-clinic',
      });
      expect(told).toEqual({
        users: [
          { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender' },
          // Reported by an admin: the treating practitioner hears of it as well.
          ...(facts.actorId === 'recipient-admin'
            ? [{ userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient_by_admin' }]
            : []),
        ],
        webhookClinics: ['sender-clinic', 'recipient-clinic'],
        patient: false,
        invitee: false,
      });
    }
  });

  it('a progress report falling due (the timers) tells the recipient only', () => {
    const told = whoIsTold(on('progress_report_due', { fromStatus: 'scheduled', toStatus: 'scheduled', actorId: null }), SENT);
    expect(told.users).toEqual([{ userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' }]);
    expect(told.patient).toBe(false);
    expect(tellsRecipientAdmins('referral.progress_report_due')).toBe(false);
  });

  it("a reassignment tells the new practitioner of the side that changed hands, and the other side's that it moved", () => {
    expect(
      whoIsTold(on('reassigned', { actorId: 'recipient-admin', side: 'recipient', toPractitionerId: 'new-pt' }), SENT).users,
    ).toEqual([
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender' },
      { userId: 'new-pt', clinicId: 'recipient-clinic', audience: 'recipient' },
    ]);
    expect(
      whoIsTold(on('reassigned', { actorId: 'sender-admin', side: 'sender', toPractitionerId: 'new-lmt' }), SENT).users,
    ).toEqual([
      { userId: 'new-lmt', clinicId: 'sender-clinic', audience: 'sender' },
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient' },
    ]);
    // A draft handed over on the sender side is nobody's news on the recipient side.
    expect(
      whoIsTold(on('reassigned', { fromStatus: 'draft', toStatus: 'draft', side: 'sender', toPractitionerId: 'new-lmt' }), DRAFT)
        .users,
    ).toEqual([{ userId: 'new-lmt', clinicId: 'sender-clinic', audience: 'sender' }]);
    const text = (audience: 'sender' | 'recipient', reassignedSide: 'sender' | 'recipient') =>
      notificationText('reassigned', audience, { senderClinic: 'A', recipientClinic: 'B', urgent: false, reassignedSide })?.title;
    expect([text('recipient', 'recipient'), text('sender', 'recipient')]).toEqual([
      'Referral reassigned to you',
      'Referral handed to a colleague',
    ]);
  });

  it('a reassignment tells the practitioner it took the side from, unless they reassigned it themselves or were deactivated', () => {
    const away = on('reassigned', {
      actorId: 'recipient-admin',
      side: 'recipient',
      fromPractitionerId: 'recipient',
      toPractitionerId: 'new-pt',
    });
    const told = whoIsTold(away, SENT);
    expect(told.users).toEqual([
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender' },
      { userId: 'new-pt', clinicId: 'recipient-clinic', audience: 'recipient' },
      { userId: 'recipient', clinicId: 'recipient-clinic', audience: 'recipient_previous' },
    ]);
    expect(
      notificationText('reassigned', 'recipient_previous', { senderClinic: 'Maya Massage', recipientClinic: 'B', urgent: false }),
    ).toEqual({
      title: 'Referral handed to a colleague',
      body: 'An admin of your clinic handed the referral from Maya Massage over to another practitioner of your clinic. You no longer see it.',
    });
    // A draft's sender side changes hands too.
    expect(
      whoIsTold(
        on('reassigned', {
          fromStatus: 'draft',
          toStatus: 'draft',
          actorId: 'a',
          side: 'sender',
          fromPractitionerId: 'sender',
          toPractitionerId: 'n',
        }),
        DRAFT,
      ).users,
    ).toEqual([
      { userId: 'n', clinicId: 'sender-clinic', audience: 'sender' },
      { userId: 'sender', clinicId: 'sender-clinic', audience: 'sender_previous' },
    ]);
    // An admin who was that side's practitioner handed it on themselves; an event recorded before
    // the previous practitioner was does not name them.
    for (const event of [
      { ...away, actorId: 'recipient' },
      { ...away, fromPractitionerId: undefined },
    ])
      expect(audiences(whoIsTold(event, SENT))).toEqual(['recipient', 'sender']);
    // Their referrals are moved because they left: nobody is told in their place.
    const admins = new Map([['recipient-clinic', ['admin-1']]]);
    expect(withStandIns(told, new Set(['recipient']), admins, 'recipient-admin').users).toEqual(told.users.slice(0, 2));
  });

  it('the email to the practitioner a referral was taken from has no link to it; every other one does', () => {
    const text = { title: 'T', body: 'B' };
    const url = 'https://referloop.example/referrals/r-1';
    expect(referralEmail(text, 'Bend PT', 'recipient_previous', url).text).not.toContain(url);
    expect(referralEmail(text, 'Bend PT', 'sender_previous', url).html).not.toContain(url);
    for (const audience of ['sender', 'recipient', 'recipient_admins', 'sender_by_admin', 'recipient_by_admin'] as const)
      expect(referralEmail(text, 'Bend PT', audience, url).text).toContain(url);
  });
});

describe('whoIsTold: what the recipient side may know', () => {
  it('tells the recipient side nothing of a draft, nor of a draft cancelled before sending', () => {
    for (const event of [
      on('created', { fromStatus: null, toStatus: 'draft' }),
      on('cancelled', { fromStatus: 'draft', toStatus: 'cancelled' }),
      on('note_added', { actorId: 'sender' }),
    ]) {
      const told = whoIsTold(event, DRAFT);
      expect(told.users).toEqual([]);
      expect(told.webhookClinics).toEqual(['sender-clinic']);
      expect(told.patient).toBe(false);
    }
  });

  it('tells both clinics’ webhooks and the patient from the sending on', () => {
    const told = whoIsTold(on('sent', { fromStatus: 'draft', toStatus: 'sent' }), SENT);
    expect(told.webhookClinics).toEqual(['sender-clinic', 'recipient-clinic']);
    expect(told.patient).toBe(true);
    expect(told.invitee).toBe(false);
    // Not a patient event: accepted.
    expect(whoIsTold(on('accepted', { fromStatus: 'received', toStatus: 'accepted' }), SENT).patient).toBe(false);
    expect(whoIsTold(on('cancelled', { fromStatus: 'sent', toStatus: 'cancelled' }), SENT).patient).toBe(true);
  });

  it('someone invited who has not joined gets the invitation email (sent, a new link, the reminder), and nothing else', () => {
    const sent = whoIsTold(on('sent', { fromStatus: 'draft', toStatus: 'sent', actorId: 'sender' }), INVITED);
    expect(sent).toEqual({ users: [], webhookClinics: ['sender-clinic'], patient: false, invitee: true });
    expect(whoIsTold({ type: 'referral_invite.resent', actorId: 'sender' }, INVITED).invitee).toBe(true);
    // The response clock's reminder reminds them: it is the invitation again, with the current link.
    expect(whoIsTold(on('reminder_sent', { fromStatus: 'sent', toStatus: 'sent', actorId: null }), INVITED).invitee).toBe(true);
    expect(whoIsTold(on('cancelled', { fromStatus: 'sent', toStatus: 'cancelled' }), INVITED).invitee).toBe(false);
    // Once someone joined, the invite is history.
    expect(
      whoIsTold(on('sent', { fromStatus: 'draft', toStatus: 'sent' }), { ...SENT, recipientInviteId: 'invite-1' }).invitee,
    ).toBe(false);
  });

  it('recipientKnows: from the sending on, never for a referral that was not sent', () => {
    expect(recipientKnows(INVITED, on('sent', { fromStatus: 'draft', toStatus: 'sent' }))).toBe(false);
    expect(recipientKnows(DRAFT, on('created', { fromStatus: null, toStatus: 'draft' }))).toBe(false);
    expect(recipientKnows(DRAFT, on('cancelled', { fromStatus: 'draft', toStatus: 'cancelled' }))).toBe(false);
    // Even were its events to say otherwise, a referral never sent stays unknown to the recipient side.
    expect(recipientKnows(DRAFT, on('note_added', { fromStatus: 'accepted', toStatus: 'accepted' }))).toBe(false);
    expect(recipientKnows(SENT, on('sent', { fromStatus: 'draft', toStatus: 'sent' }))).toBe(true);
    expect(recipientKnows(SENT, on('cancelled', { fromStatus: 'sent', toStatus: 'cancelled' }))).toBe(true);
    expect(recipientKnows(SENT, on('note_added', { fromStatus: 'in_care', toStatus: 'in_care' }))).toBe(true);
  });

  it('a referral sent to an invite is news to its recipient and patient once, when they join, however late "sent" is fanned out', () => {
    // The invitee joined before the worker got to "sent": the referral names them by then.
    const joinedMeanwhile = { ...SENT, recipientInviteId: 'invite-1' };
    const sent = whoIsTold(
      on('sent', { fromStatus: 'draft', toStatus: 'sent', actorId: 'sender', sentTo: 'invite' }),
      joinedMeanwhile,
    );
    expect(sent).toEqual({ users: [], webhookClinics: ['sender-clinic'], patient: false, invitee: false });
    const joined = whoIsTold(
      on('recipient_joined', { fromStatus: 'sent', toStatus: 'sent', actorId: 'recipient' }),
      joinedMeanwhile,
    );
    expect(joined.users.map((u) => u.audience).sort()).toEqual(['recipient', 'sender']);
    expect(joined.patient).toBe(true);
  });

  it("tells a deactivated practitioner's clinic admins in their place, each once", () => {
    const told = whoIsTold(on('message', { actorId: 'sender' }), SENT);
    expect(told.users.map((u) => u.userId)).toEqual(['recipient']);
    const admins = new Map([['recipient-clinic', ['admin-1', 'admin-2']]]);
    expect(withStandIns(told, new Set(['recipient']), admins).users).toEqual([
      { userId: 'admin-1', clinicId: 'recipient-clinic', audience: 'recipient' },
      { userId: 'admin-2', clinicId: 'recipient-clinic', audience: 'recipient' },
    ]);
    expect(withStandIns(told, new Set(), admins)).toBe(told);
  });

  it('actorSide places the actor, an admin acting for their clinic included, or the system', () => {
    const side = (actorId: string | null, actorClinicId?: string) =>
      actorSide(SENT, on('note_added', { actorId }), actorClinicId);
    expect(side('sender')).toBe('sender');
    expect(side('recipient')).toBe('recipient');
    expect(side('sender-admin', 'sender-clinic')).toBe('sender');
    expect(side('recipient-admin', 'recipient-clinic')).toBe('recipient');
    expect(side(null)).toBe('system');
  });

  it('events that are not about a referral tell no practitioner', () => {
    expect(whoIsTold({ type: 'notification.retry' }, SENT)).toEqual({
      users: [],
      webhookClinics: [],
      patient: false,
      invitee: false,
    });
  });
});

describe('notification texts', () => {
  it('name clinics, never patients', () => {
    const context = { senderClinic: 'Sunrise Massage', recipientClinic: 'Capitol Physio', urgent: false };
    expect(notificationText('sent', 'recipient', context)).toEqual({
      title: 'New referral from Sunrise Massage',
      body: 'You have a new referral from Sunrise Massage.',
    });
  });

  it('say "Urgent" in every text of an urgent referral', () => {
    const context = { senderClinic: 'Sunrise Massage', recipientClinic: 'Capitol Physio', urgent: true };
    expect(notificationText('sent', 'recipient', context)).toEqual({
      title: 'Urgent: New referral from Sunrise Massage',
      body: 'Urgent referral. You have a new referral from Sunrise Massage.',
    });
    for (const type of REFERRAL_EVENT_TYPES) {
      for (const audience of ['sender', 'recipient', 'recipient_admins', 'sender_by_admin', 'recipient_by_admin'] as const) {
        const text = notificationText(type, audience, context);
        if (text) expect(text.title.startsWith('Urgent: ')).toBe(true);
      }
    }
    // So does the email inviting someone not on ReferLoop to receive it.
    const invite = referralInviteEmail('Sunrise Massage', 'https://app.test/sign-up#invitation=t', true);
    expect(invite.subject).toBe('Urgent: Sunrise Massage wants to send you a referral on ReferLoop');
    expect(invite.text).toContain('Urgent referral. Sunrise Massage wants to send you a referral');
    expect(referralInviteEmail('Sunrise Massage', 'https://app.test/sign-up#invitation=t', false).subject).toBe(
      'Sunrise Massage wants to send you a referral on ReferLoop',
    );
  });

  it('promise no admins for an invited recipient who has not joined (they have none)', () => {
    const invited = notificationText('escalated', 'sender', {
      senderClinic: 'Sunrise Massage',
      recipientClinic: null,
      urgent: false,
    });
    expect(invited?.body).toBe(
      'Your referral to the practitioner you invited has not been answered yet: they have not joined ReferLoop. You can resend the invitation or redirect the referral.',
    );
    const joined = notificationText('escalated', 'sender', {
      senderClinic: 'Sunrise Massage',
      recipientClinic: 'Capitol Physio',
      urgent: false,
    });
    expect(joined?.body).toBe(
      'Your referral to Capitol Physio has not been answered yet; their clinic admins have been alerted.',
    );
  });

  it('tell a recipient clinic’s admins of an escalation without naming a time the urgent timers do not keep', () => {
    const urgent = notificationText('escalated', 'recipient_admins', {
      senderClinic: 'Sunrise Massage',
      recipientClinic: 'Capitol Physio',
      urgent: true,
    });
    expect(urgent?.body).toBe(
      'Urgent referral. A referral from Sunrise Massage to your clinic has had no decision within its response time.',
    );
    expect(urgent?.body).not.toContain('days');
  });
});

describe('a reminder email still due when it is sent', () => {
  it('reminds and escalates only while the referral awaits its decision', () => {
    for (const type of ['referral.reminder_sent', 'referral.escalated']) {
      for (const status of ['sent', 'received'])
        expect({ type, status, due: reminderStillDue(type, { status, progressReportedSince: false }) }).toEqual({
          type,
          status,
          due: true,
        });
      for (const status of ['info_requested', 'accepted', 'declined', 'cancelled', 'expired', null])
        expect({ type, status, due: reminderStillDue(type, { status, progressReportedSince: false }) }).toEqual({
          type,
          status,
          due: false,
        });
    }
  });

  it('asks for a progress report only while in care and none was reported since', () => {
    const due = (status: string, progressReportedSince: boolean) =>
      reminderStillDue('referral.progress_report_due', { status, progressReportedSince });
    expect([due('accepted', false), due('scheduled', false), due('in_care', false)]).toEqual([true, true, true]);
    expect([due('in_care', true), due('outcome_sent', false), due('cancel_requested', false)]).toEqual([false, false, false]);
  });

  it('keeps every other event: news that stays true', () => {
    expect(reminderStillDue('referral.sent', { status: 'accepted', progressReportedSince: false })).toBe(true);
    expect(reminderStillDue('referral.accepted', { status: 'cancelled', progressReportedSince: true })).toBe(true);
  });
});
