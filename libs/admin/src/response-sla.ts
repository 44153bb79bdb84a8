import type { ReferralStatus } from '@referloop/referrals';

/** Statuses in which the recipient still owes a decision: the response SLA applies. */
export const AWAITING_DECISION: readonly ReferralStatus[] = ['sent', 'received', 'info_requested'];

/** `'a', 'b'` for an SQL IN list of known constants (never user input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
}
