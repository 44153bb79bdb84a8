import type { EventRow } from '../store/dispatch.store';
import { toldText } from './notification-dispatcher';

const event = (type: string, payload: EventRow['payload'] = {}): EventRow => ({
  id: 'e1',
  type,
  referral_id: 'r1',
  payload,
  sender_id: 'maya',
  recipient_id: 'quinn',
  sender_clinic_id: 'c-massage',
  recipient_clinic_id: 'c-bend',
  recipient_invite_id: null,
  sent: true,
  sender_clinic: 'Maya Massage',
  recipient_clinic: 'Bend PT Clinic',
  urgent: false,
});

/** The one text of a notification, in-app and by email. */
describe('toldText', () => {
  it('reads a reassignment by the side that changed hands', () => {
    const recipientSide = event('referral.reassigned', { side: 'recipient', toPractitionerId: 'quinn' });
    expect(toldText(recipientSide, 'sender')).toEqual({
      title: 'Referral handed to a colleague',
      body: 'Your referral to Bend PT Clinic is now with another practitioner there.',
    });
    expect(toldText(recipientSide, 'recipient')?.title).toBe('Referral reassigned to you');
    const senderSide = event('referral.reassigned', { side: 'sender', toPractitionerId: 'sam' });
    expect(toldText(senderSide, 'sender')?.title).toBe('Referral reassigned to you');
    expect(toldText(senderSide, 'recipient')?.title).toBe('Referral handed to a colleague');
  });

  it("names the other side's clinic, and says urgent when the referral is", () => {
    expect(toldText(event('referral.message'), 'sender')?.body).toBe('New message on a referral from Bend PT Clinic.');
    expect(toldText({ ...event('referral.progress_reported'), urgent: true }, 'sender')).toEqual({
      title: 'Urgent: Progress reported',
      body: 'Urgent referral. Bend PT Clinic reported progress on your referral.',
    });
    expect(toldText(event('referral.progress_reported'), 'recipient')).toBeUndefined();
  });
});
