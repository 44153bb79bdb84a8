import type { Principal, Role } from '@referloop/common';
import { partiesOf, type ReferralParties } from './referral-access';
import { REFERRAL_STATUSES } from './state-machine/referral-state-machine';

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
});

const sender = principal(ids.sender, ids.senderClinic, 'massage_therapist');
const recipient = principal(ids.recipient, ids.recipientClinic, 'physical_therapist');
const senderAdmin = principal(ids.senderAdmin, ids.senderClinic, 'clinic_admin');
const recipientAdmin = principal(ids.recipientAdmin, ids.recipientClinic, 'clinic_admin');
const senderColleague = principal(ids.senderColleague, ids.senderClinic, 'massage_therapist');
const recipientColleague = principal(ids.recipientColleague, ids.recipientClinic, 'physical_therapist');
const outsiderAdmin = principal(ids.outsider, ids.otherClinic, 'clinic_admin');

const referral = (status: string): ReferralParties => ({
  senderId: ids.sender,
  senderClinicId: ids.senderClinic,
  recipientId: ids.recipient,
  recipientClinicId: ids.recipientClinic,
  status,
});

const NOT_DRAFT = REFERRAL_STATUSES.filter((s) => s !== 'draft');

describe('partiesOf', () => {
  it.each(NOT_DRAFT.map((s) => [s]))('gives each caller their side of a %s referral', (status) => {
    const r = referral(status);
    expect(partiesOf(sender, r)).toEqual(['sender']);
    expect(partiesOf(recipient, r)).toEqual(['recipient']);
    expect(partiesOf(senderAdmin, r)).toEqual(['sender']);
    expect(partiesOf(recipientAdmin, r)).toEqual(['recipient']);
  });

  it.each(REFERRAL_STATUSES.map((s) => [s]))(
    'gives no side to a practitioner of either clinic who is neither party (%s)',
    (status) => {
      expect(partiesOf(senderColleague, referral(status))).toEqual([]);
      expect(partiesOf(recipientColleague, referral(status))).toEqual([]);
    },
  );

  it.each(REFERRAL_STATUSES.map((s) => [s]))('gives no side to an admin of an uninvolved clinic (%s)', (status) => {
    expect(partiesOf(outsiderAdmin, referral(status))).toEqual([]);
  });

  it('hides a draft from the recipient side: the recipient and the recipient clinic admin get no side', () => {
    const draft = referral('draft');
    expect(partiesOf(recipient, draft)).toEqual([]);
    expect(partiesOf(recipientAdmin, draft)).toEqual([]);
    // The sender side keeps it.
    expect(partiesOf(sender, draft)).toEqual(['sender']);
    expect(partiesOf(senderAdmin, draft)).toEqual(['sender']);
  });

  it('does not take a practitioner of the right clinic for an admin', () => {
    // Same clinic as the sender, and the id is not the sender's: a practitioner is not the clinic.
    expect(partiesOf(principal(ids.senderColleague, ids.senderClinic, 'physical_therapist'), referral('sent'))).toEqual([]);
  });

  it('takes a practitioner with admin rights for an admin of their clinic, whatever their role', () => {
    const practitionerAdmin = principal(ids.senderColleague, ids.senderClinic, 'massage_therapist', true);
    expect(partiesOf(practitionerAdmin, referral('sent'))).toEqual(['sender']);
    // A clinic_admin whose rights were somehow not set is no admin: the flag decides, not the role.
    expect(partiesOf(principal(ids.senderAdmin, ids.senderClinic, 'clinic_admin', false), referral('sent'))).toEqual([]);
  });

  it('does not let a matching user id in another clinic through as an admin of that clinic', () => {
    // An admin whose clinic is not the sender's: only the clinic id makes an admin a party.
    expect(partiesOf(principal(ids.senderAdmin, ids.otherClinic, 'clinic_admin'), referral('sent'))).toEqual([]);
  });

  it('gives both sides to the admin of a clinic that both sends and receives (a referral inside one clinic)', () => {
    const inClinic: ReferralParties = { ...referral('received'), recipientClinicId: ids.senderClinic };
    expect(partiesOf(senderAdmin, inClinic)).toEqual(['sender', 'recipient']);
    expect(partiesOf(senderAdmin, { ...inClinic, status: 'draft' })).toEqual(['sender']);
    expect(partiesOf(senderColleague, inClinic)).toEqual([]);
  });
});
