import type { ReferralStatus } from '@referloop/referrals';

/** Statuses in which the recipient still owes a decision: the response SLA applies. */
export const AWAITING_DECISION: readonly ReferralStatus[] = ['sent', 'received', 'info_requested'];
