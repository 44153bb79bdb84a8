import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** An opaque random token handed to a client once; only its SHA-256 is stored. */
export function newSecretToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * The token of an invitation, derived from its id with a server secret: the invitation email is
 * sent later by the worker, which can compute the same token from the id, so no token is ever
 * stored (only its SHA-256, as for random tokens) nor put in a job.
 */
export function invitationToken(serverSecret: string, invitationId: string): string {
  return createHmac('sha256', serverSecret).update(`referloop-invitation:${invitationId}`).digest('base64url');
}

/** Where an invitation is accepted (the web app's page). */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/accept-invitation?token=${encodeURIComponent(token)}`;
}

/**
 * A key derived from the server secret for one purpose (HKDF-SHA256), so a token made for one
 * purpose (a password reset link) is worthless for another, and none is made with the JWT key itself.
 */
export function derivedKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', 'referloop ' + purpose, 32));
}

/** The token of a password reset, derived from its id like an invitation's: jobs carry the id only. */
export function passwordResetToken(serverSecret: string, resetId: string): string {
  return createHmac('sha256', derivedKey(serverSecret, 'password-reset')).update(resetId).digest('base64url');
}

/** The web app's reset page; the token rides in the fragment, which browsers never send to a server. */
export function passwordResetUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
}
