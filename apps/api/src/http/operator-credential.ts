import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '@referloop/config';

/** The challenge sent with a 401 where the operator credential is asked for. */
export const OPERATOR_CHALLENGE = 'Basic realm="ReferLoop operator"';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether an Authorization header carries the operator credential (HTTP basic auth with
 * OPERATOR_USER/OPERATOR_PASSWORD); never, when no credential is configured.
 */
export function isOperator(authorization: string | undefined, credential: AppConfig['operator']): boolean {
  if (!credential) return false;
  const [scheme, encoded] = (authorization ?? '').split(' ');
  if (scheme !== 'Basic' || !encoded) return false;
  const [user, ...rest] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
  // Both compared every time, so the answer's timing does not tell which one was wrong.
  const userOk = sameSecret(user, credential.user);
  const passwordOk = sameSecret(rest.join(':'), credential.password);
  return userOk && passwordOk;
}
