import { isClinicAdmin, type Principal } from '@referloop/common';
import type { Party } from './state-machine/referral-state-machine';

export interface ReferralParties {
  senderId: string;
  senderClinicId: string;
  recipientId: string;
  recipientClinicId: string;
  status: string;
}

/**
 * The sides of a referral the caller may act for: the sender (or an admin of the sender's clinic)
 * and the recipient (or an admin of the recipient's clinic). The recipient side does not see a
 * draft. No side at all means the referral is invisible to the caller: 404.
 */
export function partiesOf(principal: Principal, r: ReferralParties): Party[] {
  const admin = isClinicAdmin(principal);
  const parties: Party[] = [];
  if (principal.userId === r.senderId || (admin && principal.clinicId === r.senderClinicId)) parties.push('sender');
  if (r.status !== 'draft' && (principal.userId === r.recipientId || (admin && principal.clinicId === r.recipientClinicId))) {
    parties.push('recipient');
  }
  return parties;
}

/** The columns of a referral row that decide its parties. */
export interface ReferralPartyColumns {
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string;
  recipient_clinic_id: string;
  status: string;
}

export function partiesOfRow(principal: Principal, row: ReferralPartyColumns): Party[] {
  return partiesOf(principal, {
    senderId: row.sender_id,
    senderClinicId: row.sender_clinic_id,
    recipientId: row.recipient_id,
    recipientClinicId: row.recipient_clinic_id,
    status: row.status,
  });
}
