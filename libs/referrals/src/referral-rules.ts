import {
  AppError,
  EMERGENCY_RED_FLAGS,
  hasEmergencyRedFlag,
  licenceLapsed,
  type ReferralAction,
  type ReferralKind,
  type Role,
} from '@referloop/common';
import { allowedActions, type Party, type ReferralStatus } from './state-machine/referral-state-machine';

/** Who sends and who receives each kind of referral. */
export const KIND_ROLES: Record<ReferralKind, { sender: Role; recipient: Role }> = {
  injury_care: { sender: 'massage_therapist', recipient: 'physical_therapist' },
  maintenance_massage: { sender: 'physical_therapist', recipient: 'massage_therapist' },
};

export interface RecipientFacts {
  role: Role;
  /** Not deactivated. */
  active: boolean;
  licenceExpiresOn: string | null;
  /** The recipient's clinic's IANA zone: the calendar their licence expires on. */
  clinicTimezone: string;
  acceptingReferrals: boolean;
}

/**
 * The actions offered to `parties` now: the state's, without `accept` while the recipient's licence
 * has lapsed (it would answer 422 licence_expired). In every answer and every 409 alike. `recipient`
 * is null while no one is named (a pending invite).
 */
export function offeredActions(
  status: ReferralStatus,
  parties: readonly Party[],
  recipient: Pick<RecipientFacts, 'licenceExpiresOn' | 'clinicTimezone'> | null,
  now: Date,
): ReferralAction[] {
  const actions = allowedActions(status, parties);
  const cannotAccept = recipient !== null && licenceLapsed(recipient.licenceExpiresOn, recipient.clinicTimezone, now);
  return cannotAccept ? actions.filter((action) => action !== 'accept') : actions;
}

export function assertSenderRole(kind: ReferralKind, senderRole: Role): void {
  if (senderRole !== KIND_ROLES[kind].sender) {
    throw new AppError('sender_role_mismatch', `A ${kind} referral is sent by a ${KIND_ROLES[kind].sender}`, {
      errors: [{ field: 'kind', message: `is sent by a ${KIND_ROLES[kind].sender}, not a ${senderRole}` }],
    });
  }
}

/** The recipient must be active, the right kind of practitioner, licensed today, and accepting referrals. */
export function assertRecipientEligible(kind: ReferralKind, recipient: RecipientFacts, now: Date, field?: 'recipientId'): void {
  // Where the request names the recipient (a create, an edit, a follow-up), the answer names that field.
  const named = (message: string) => (field ? { errors: [{ field, message }] } : {});
  if (!recipient.active) {
    throw new AppError('recipient_not_accepting', 'The recipient is deactivated; choose another', named('is deactivated'));
  }
  if (recipient.role !== KIND_ROLES[kind].recipient) {
    const message = `must be a ${KIND_ROLES[kind].recipient}`;
    throw new AppError('recipient_type_mismatch', `A ${kind} referral goes to a ${KIND_ROLES[kind].recipient}`, named(message));
  }
  if (licenceLapsed(recipient.licenceExpiresOn, recipient.clinicTimezone, now)) {
    throw new AppError('licence_expired', "The recipient's licence has expired", named('has an expired licence'));
  }
  if (!recipient.acceptingReferrals) {
    throw new AppError(
      'recipient_not_accepting',
      'The recipient is not accepting referrals at the moment',
      named('is not accepting referrals'),
    );
  }
}

/** The date a referral is needed by is after `today` (the Clock's day): one already past asks for nothing. */
export function assertNeededByAhead(neededBy: string | null | undefined, today: string): void {
  if (neededBy && neededBy <= today) throw AppError.validation([{ field: 'neededBy', message: 'must be a future date' }]);
}

export function assertRedFlagsUrgent(priority: string, redFlags: readonly string[]): void {
  if (redFlags.length > 0 && priority !== 'urgent') {
    throw new AppError('red_flags_require_urgent', `Red flags (${redFlags.join(', ')}) require priority "urgent"`, {
      errors: [{ field: 'priority', message: 'must be urgent when red flags are present' }],
    });
  }
}

/** Sending with an emergency red flag needs the sender's record that the client was told to seek emergency care now. */
export function assertEmergencyAdvice(redFlags: readonly string[], emergencyAdviceGiven: boolean): void {
  if (hasEmergencyRedFlag(redFlags) && !emergencyAdviceGiven) {
    const signs = redFlags.filter((flag) => (EMERGENCY_RED_FLAGS as readonly string[]).includes(flag));
    throw new AppError(
      'emergency_advice_required',
      `Emergency signs (${signs.join(', ')}): tell the client to seek emergency care now, and record it, before sending`,
      { errors: [{ field: 'emergencyAdviceGiven', message: 'must be true when an emergency red flag is present' }] },
    );
  }
}
