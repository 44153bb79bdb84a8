import { AppError } from '@referloop/common';

/** What the person asking is told about an address someone has, by who asks. */
const EMAIL_TAKEN = {
  /**
   * Anyone (`POST /auth/register-clinic`): one answer whether the address has an account or an
   * invitation not accepted yet, so nobody learns which; both kinds of holder are told what to do.
   */
  'sign-up': 'is already registered or invited: sign in, or accept the invitation emailed to it',
  /** A clinic's admin inviting someone (`POST /practitioners`). */
  invite: 'is already registered, or invited by another clinic',
} as const;

/** The 409 `email_taken`, naming the request's email field (`admin.email`, `email`) with the reason. */
export function emailTaken(field: string, asked: keyof typeof EMAIL_TAKEN): AppError {
  const message = EMAIL_TAKEN[asked];
  return new AppError('email_taken', `This email address ${message}`, { errors: [{ field, message }] });
}
