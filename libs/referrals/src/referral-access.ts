import { isClinicAdmin, type Principal } from '@referloop/common';
import type { PartyClinic } from '@referloop/identity';
import type { Party } from './state-machine/referral-state-machine';

/**
 * The facts of a referral that decide who may see it. Every row the store answers about a referral
 * carries them under these names, so `partiesOf` takes the row itself.
 */
export interface ReferralParties {
  senderId: string;
  senderClinicId: string;
  /** Null while the recipient has not joined ReferLoop. */
  recipientId: string | null;
  recipientClinicId: string | null;
  /** Whether the referral was ever sent: its status cannot tell (a draft cancelled before sending is `cancelled`). */
  sentAt: Date | string | null;
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
    r.sentAt !== null &&
    r.recipientId !== null &&
    (principal.userId === r.recipientId || (admin && principal.clinicId === r.recipientClinicId))
  ) {
    parties.push('recipient');
  }
  return parties;
}

/** The clinics that may see a referral: the sender's, and the recipient's once it was sent. */
export function clinicsOf(row: ReferralParties): string[] {
  return row.sentAt !== null && row.recipientClinicId !== null && row.recipientClinicId !== row.senderClinicId
    ? [row.senderClinicId, row.recipientClinicId]
    : [row.senderClinicId];
}

/** For the audit of a read of one referral: the clinics that see it in their log. */
export function partyClinicsOf(row: ReferralParties): PartyClinic[] {
  return clinicsOf(row).map((clinicId) => ({ clinicId }));
}

/** For the audit of a list read: each clinic party to a referral shown, with the ids of those it is party to. */
export function partyClinicsOfPage(rows: (ReferralParties & { id: string })[]): PartyClinic[] {
  const ids = new Map<string, string[]>();
  for (const row of rows) {
    for (const clinicId of clinicsOf(row)) {
      const shown = ids.get(clinicId);
      if (shown) shown.push(row.id);
      else ids.set(clinicId, [row.id]);
    }
  }
  return [...ids].map(([clinicId, shown]) => ({ clinicId, ids: shown }));
}
