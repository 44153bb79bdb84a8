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
