import type { Principal } from '@referloop/common';
import { liveFrame, mayHear } from './live-hub';
import type { LiveEventRow } from './live.store';

const SENDER = '00000000-0000-4000-8000-000000000001';
const RECIPIENT = '00000000-0000-4000-8000-000000000002';
const SENDER_CLINIC = '00000000-0000-4000-8000-0000000000c1';
const OTHER_CLINIC = '00000000-0000-4000-8000-0000000000c9';

const row = (overrides: Partial<LiveEventRow> = {}): LiveEventRow => ({
  id: 7,
  type: 'referral.updated',
  referralId: '00000000-0000-4000-8000-0000000000aa',
  version: 2,
  status: 'sent',
  notificationId: null,
  userIds: [SENDER, RECIPIENT],
  clinicIds: [SENDER_CLINIC],
  ...overrides,
});
const principal = (overrides: Partial<Principal>): Principal => ({
  userId: '00000000-0000-4000-8000-0000000000ff',
  clinicId: OTHER_CLINIC,
  role: 'physical_therapist',
  isAdmin: false,
  sessionId: '00000000-0000-4000-8000-0000000000ee',
  client: { requestId: 'request-1' },
  ...overrides,
});

describe('live frames', () => {
  it('carry the durable id, the event name and ids only', () => {
    expect(liveFrame(row())).toBe(
      'id: 7\nevent: referral.updated\ndata: {"id":"00000000-0000-4000-8000-0000000000aa","version":2,"status":"sent"}\n\n',
    );
    expect(liveFrame(row({ type: 'notification.created', notificationId: 'n1', referralId: null }))).toBe(
      'id: 7\nevent: notification.created\ndata: {"id":"n1"}\n\n',
    );
    expect(liveFrame(row({ type: 'message.created' }))).toBe(
      'id: 7\nevent: message.created\ndata: {"referralId":"00000000-0000-4000-8000-0000000000aa"}\n\n',
    );
  });

  it('go to the row’s users and to admins of its clinics, nobody else', () => {
    expect(mayHear(principal({ userId: SENDER }), row())).toBe(true);
    expect(mayHear(principal({ userId: RECIPIENT }), row())).toBe(true);
    expect(mayHear(principal({ clinicId: SENDER_CLINIC, isAdmin: true }), row())).toBe(true);
    // A non-admin colleague of the sender's clinic, and an admin of another clinic.
    expect(mayHear(principal({ clinicId: SENDER_CLINIC }), row())).toBe(false);
    expect(mayHear(principal({ isAdmin: true }), row())).toBe(false);
  });
});
