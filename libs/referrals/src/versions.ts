import { AppError } from '@referloop/common';
import type { ReferralStatus } from './state-machine/referral-state-machine';

/**
 * The version a write expects, from body field `version` or header `If-Match`: every write on a
 * referral names one (400 without), and one only (400 when the two differ).
 */
export function expectedVersion(bodyVersion: number | undefined, ifMatch: number | undefined): number {
  if (bodyVersion !== undefined && ifMatch !== undefined && bodyVersion !== ifMatch) {
    throw AppError.validation([{ field: 'version', message: 'differs from the If-Match header: send one version' }]);
  }
  const expected = bodyVersion ?? ifMatch;
  if (expected === undefined) {
    throw AppError.validation([
      { field: 'version', message: 'send the version you read, as body field "version" or header If-Match' },
    ]);
  }
  return expected;
}

/** 409: the referral moved on since the caller read it; says where it is now. */
export function staleVersion(current: { version: number; status: ReferralStatus }): AppError {
  return new AppError('stale_version', `The referral is at version ${current.version}; read it again and retry`, {
    currentVersion: current.version,
    currentStatus: current.status,
  });
}
