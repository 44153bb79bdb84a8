import { isClinicAdmin, type Principal } from '@referloop/common';
import type { PartyClinic } from '@referloop/identity';
import type { Party } from './state-machine/referral-state-machine';

export interface ReferralParties {
  senderId: string;
  senderClinicId: string;
  /** Null while the recipient has not joined ReferLoop. */
  recipientId: string | null;
  recipientClinicId: string | null;
  /** Whether the referral was ever sent: its status cannot tell (a draft cancelled before sending is `cancelled`). */
  sent: boolean;
}

/**
 * The sides of a referral the caller may act for: the sender (or an admin of the sender's clinic)
 * and the recipient (or an admin of the recipient's clinic). The recipient side sees nothing of a
 * referral that was never sent. No side at all means the referral is invisible to the caller: 404.
 */
export function partiesOf(principal: Principal, r: ReferralParties): Party[] {
  const admin = isClinicAdmin(principal);
  const parties: Party[] = [];
  if (principal.userId === r.senderId || (admin && principal.clinicId === r.senderClinicId)) parties.push('sender');
  if (
    r.sent &&
    r.recipientId !== null &&
    (principal.userId === r.recipientId || (admin && principal.clinicId === r.recipientClinicId))
  ) {
    parties.push('recipient');
  }
  return parties;
}

/** The columns of a referral row that decide its parties. */
export interface ReferralPartyColumns {
  sender_id: string;
  sender_clinic_id: string;
  recipient_id: string | null;
  recipient_clinic_id: string | null;
  sent_at: Date | string | null;
}

export function partiesOfRow(principal: Principal, row: ReferralPartyColumns): Party[] {
  return partiesOf(principal, {
    senderId: row.sender_id,
    senderClinicId: row.sender_clinic_id,
    recipientId: row.recipient_id,
    recipientClinicId: row.recipient_clinic_id,
    sent: row.sent_at !== null,
  });
}

/** The clinics that may see a referral: the sender's, and the recipient's once it was sent. */
export function clinicsOfRow(row: ReferralPartyColumns): string[] {
  return row.sent_at !== null && row.recipient_clinic_id !== null && row.recipient_clinic_id !== row.sender_clinic_id
    ? [row.sender_clinic_id, row.recipient_clinic_id]
    : [row.sender_clinic_id];
}

/** For the audit of a read of one referral: the clinics that see it in their log. */
export function partyClinicsOf(row: ReferralPartyColumns): PartyClinic[] {
  return clinicsOfRow(row).map((clinicId) => ({ clinicId }));
}

/** For the audit of a list read: each clinic party to a referral shown, with the ids of those it is party to. */
export function partyClinicsOfPage(rows: (ReferralPartyColumns & { id: string })[]): PartyClinic[] {
  const ids = new Map<string, string[]>();
  for (const row of rows) {
    for (const clinicId of clinicsOfRow(row)) ids.set(clinicId, [...(ids.get(clinicId) ?? []), row.id]);
  }
  return [...ids].map(([clinicId, shown]) => ({ clinicId, ids: shown }));
}
