import type { Principal, Role } from '@referloop/common';
import { partiesOf, partyClinicsOfPage, type ReferralParties } from './referral-access';

const ids = {
  sender: '00000000-0000-4000-8000-000000000001',
  recipient: '00000000-0000-4000-8000-000000000002',
  senderAdmin: '00000000-0000-4000-8000-000000000003',
  recipientAdmin: '00000000-0000-4000-8000-000000000004',
  senderColleague: '00000000-0000-4000-8000-000000000005',
  recipientColleague: '00000000-0000-4000-8000-000000000006',
  outsider: '00000000-0000-4000-8000-000000000007',
  senderClinic: '10000000-0000-4000-8000-000000000001',
  recipientClinic: '10000000-0000-4000-8000-000000000002',
  otherClinic: '10000000-0000-4000-8000-000000000003',
};

const principal = (userId: string, clinicId: string, role: Role, isAdmin = role === 'clinic_admin'): Principal => ({
  userId,
  clinicId,
  role,
  isAdmin,
  sessionId: 'session',
  client: { requestId: 'request' },
});

const sender = principal(ids.sender, ids.senderClinic, 'massage_therapist');
const recipient = principal(ids.recipient, ids.recipientClinic, 'physical_therapist');
const senderAdmin = principal(ids.senderAdmin, ids.senderClinic, 'clinic_admin');
const recipientAdmin = principal(ids.recipientAdmin, ids.recipientClinic, 'clinic_admin');
const senderColleague = principal(ids.senderColleague, ids.senderClinic, 'massage_therapist');
const recipientColleague = principal(ids.recipientColleague, ids.recipientClinic, 'physical_therapist');
const outsiderAdmin = principal(ids.outsider, ids.otherClinic, 'clinic_admin');

/** A referral that was sent (every state but draft can be reached by sending), or not. */
const referral = (sent: boolean): ReferralParties => ({
  senderId: ids.sender,
  senderClinicId: ids.senderClinic,
  recipientId: ids.recipient,
  recipientClinicId: ids.recipientClinic,
  sentAt: sent ? '2026-01-01T00:00:00.000Z' : null,
});

describe('partiesOf', () => {
  it('gives each caller their side of a sent referral', () => {
    const r = referral(true);
    expect(partiesOf(sender, r)).toEqual(['sender']);
    expect(partiesOf(recipient, r)).toEqual(['recipient']);
    expect(partiesOf(senderAdmin, r)).toEqual(['sender']);
    expect(partiesOf(recipientAdmin, r)).toEqual(['recipient']);
  });

  it.each([[true], [false]])('gives no side to a practitioner of either clinic who is neither party (sent: %s)', (sent) => {
    expect(partiesOf(senderColleague, referral(sent))).toEqual([]);
    expect(partiesOf(recipientColleague, referral(sent))).toEqual([]);
  });

  it.each([[true], [false]])('gives no side to an admin of an uninvolved clinic (sent: %s)', (sent) => {
    expect(partiesOf(outsiderAdmin, referral(sent))).toEqual([]);
  });

  it('hides a never-sent referral (a draft, or a draft cancelled before sending) from the recipient side', () => {
    const neverSent = referral(false);
    expect(partiesOf(recipient, neverSent)).toEqual([]);
    expect(partiesOf(recipientAdmin, neverSent)).toEqual([]);
    // The sender side keeps it.
    expect(partiesOf(sender, neverSent)).toEqual(['sender']);
    expect(partiesOf(senderAdmin, neverSent)).toEqual(['sender']);
  });

  it('does not take a practitioner of the right clinic for an admin', () => {
    // Same clinic as the sender, and the id is not the sender's: a practitioner is not the clinic.
    expect(partiesOf(principal(ids.senderColleague, ids.senderClinic, 'physical_therapist'), referral(true))).toEqual([]);
  });

  it('takes a practitioner with admin rights for an admin of their clinic, whatever their role', () => {
    const practitionerAdmin = principal(ids.senderColleague, ids.senderClinic, 'massage_therapist', true);
    expect(partiesOf(practitionerAdmin, referral(true))).toEqual(['sender']);
    // A clinic_admin whose rights were somehow not set is no admin: the flag decides, not the role.
    expect(partiesOf(principal(ids.senderAdmin, ids.senderClinic, 'clinic_admin', false), referral(true))).toEqual([]);
  });

  it('does not let a matching user id in another clinic through as an admin of that clinic', () => {
    // An admin whose clinic is not the sender's: only the clinic id makes an admin a party.
    expect(partiesOf(principal(ids.senderAdmin, ids.otherClinic, 'clinic_admin'), referral(true))).toEqual([]);
  });

  it('gives both sides to the admin of a clinic that both sends and receives (a referral inside one clinic)', () => {
    const inClinic: ReferralParties = { ...referral(true), recipientClinicId: ids.senderClinic };
    expect(partiesOf(senderAdmin, inClinic)).toEqual(['sender', 'recipient']);
    expect(partiesOf(senderAdmin, { ...inClinic, sentAt: null })).toEqual(['sender']);
    expect(partiesOf(senderColleague, inClinic)).toEqual([]);
  });
});

describe('partyClinicsOfPage', () => {
  const row = (id: string, recipientClinic: string, sent: boolean) => ({
    id,
    senderId: ids.sender,
    senderClinicId: ids.senderClinic,
    recipientId: ids.recipient,
    recipientClinicId: recipientClinic,
    sentAt: sent ? '2026-01-01T00:00:00.000Z' : null,
  });

  it('gives each clinic the ids of the referrals it is party to: the recipient clinic only those that were sent', () => {
    expect(
      partyClinicsOfPage([
        row('r1', ids.recipientClinic, true),
        row('r2', ids.recipientClinic, false),
        row('r3', ids.otherClinic, true),
        row('r4', ids.senderClinic, true),
      ]),
    ).toEqual([
      { clinicId: ids.senderClinic, ids: ['r1', 'r2', 'r3', 'r4'] },
      { clinicId: ids.recipientClinic, ids: ['r1'] },
      { clinicId: ids.otherClinic, ids: ['r3'] },
    ]);
  });
});
