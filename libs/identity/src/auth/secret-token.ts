import { createHash, createHmac, randomBytes } from 'node:crypto';

/** An opaque random token handed to a client once; only its SHA-256 is stored. */
export function newSecretToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * The token of an invitation, derived from its id and token version with a server secret: the
 * invitation email is sent later by the worker, which can compute the same token from the ids, so
 * no token is ever stored (only its SHA-256, as for random tokens) nor put in a job. A resend
 * bumps the version, so the previous link stops working.
 */
export function invitationToken(serverSecret: string, invitationId: string, version: number): string {
  // Version 1 keeps the form tokens had before resends existed, so links already sent still work.
  const subject = version === 1 ? `referloop-invitation:${invitationId}` : `referloop-invitation:${invitationId}:${version}`;
  return createHmac('sha256', serverSecret).update(subject).digest('base64url');
}

/**
 * Where an invitation is accepted (the web app's page): under PUBLIC_URL when it is set, else under
 * the address the invitation was made on (so a trial opened on another host hands out its own host).
 */
export function invitationUrl(
  config: { publicUrl: string; publicUrlConfigured: boolean },
  linkBase: string | null,
  token: string,
): string {
  const base = config.publicUrlConfigured ? config.publicUrl : (linkBase ?? config.publicUrl);
  return `${base}/accept-invitation?token=${encodeURIComponent(token)}`;
}
