import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** An opaque random token handed to a client once; only its SHA-256 is stored. */
export function newSecretToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const KEY_SALT = 'referloop';
/** The purpose of the invitation token key; a new one (v2) would be a new key. */
const INVITATION_KEY_PURPOSE = 'invitation token v1';

/**
 * A key derived from the server secret for one purpose (HKDF-SHA256), so the JWT signing key itself
 * signs nothing but access tokens, and a token made for one purpose (an invitation, a password reset
 * link) is worthless for another.
 */
export function derivedKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, KEY_SALT, `referloop ${purpose}`, 32));
}

/**
 * The token of an invitation, derived from its id and token version under the invitation key: the
 * invitation email is sent later by the worker, which can compute the same token from the ids, so no
 * token is ever stored (only its SHA-256, as for random tokens) nor put in a job. A resend bumps the
 * version, so the previous link stops working.
 */
export function invitationToken(serverSecret: string, invitationId: string, version: number): string {
  const subject = version === 1 ? invitationId : `${invitationId}:${version}`;
  return createHmac('sha256', derivedKey(serverSecret, INVITATION_KEY_PURPOSE)).update(subject).digest('base64url');
}

/**
 * Where an invitation is accepted (the web app's page): under PUBLIC_URL when it is set, else under
 * the address the invitation was made on (so a trial opened on another host hands out its own host).
 * The token rides in the fragment, which browsers never send to a server.
 */
export function invitationUrl(
  config: { publicUrl: string; publicUrlConfigured: boolean },
  linkBase: string | null,
  token: string,
): string {
  const base = config.publicUrlConfigured ? config.publicUrl : (linkBase ?? config.publicUrl);
  return `${base}/accept-invitation#token=${encodeURIComponent(token)}`;
}

/** The token of a password reset, derived from its id like an invitation's: jobs carry the id only. */
export function passwordResetToken(serverSecret: string, resetId: string): string {
  return createHmac('sha256', derivedKey(serverSecret, 'password-reset')).update(resetId).digest('base64url');
}

/**
 * The secret of a refresh token issued by a refresh that carried an `Idempotency-Key` (its SHA-256
 * is `retryKeyHash`), derived from the token's id and that key like a reset link's: a retry with
 * the same key is answered the same token again, which is never stored (only its SHA-256).
 */
export function retriableRefreshSecret(serverSecret: string, tokenId: string, retryKeyHash: string): string {
  return createHmac('sha256', derivedKey(serverSecret, 'refresh retry v1'))
    .update(`${tokenId}:${retryKeyHash}`)
    .digest('base64url');
}

/** The web app's reset page; the token rides in the fragment, which browsers never send to a server. */
export function passwordResetUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
}

/**
 * The join link of a referral invite (someone not on ReferLoop yet), derived from its id and token
 * version like an invitation's, under its own key: the worker rebuilds it for the email from the ids.
 */
export function referralInviteToken(serverSecret: string, inviteId: string, version: number): string {
  return createHmac('sha256', derivedKey(serverSecret, 'referral invite token v1'))
    .update(`${inviteId}:${version}`)
    .digest('base64url');
}

/** The web app's sign-up page; the token rides in the fragment, which browsers never send to a server. */
export function referralInviteUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/sign-up#invitation=${encodeURIComponent(token)}`;
}
