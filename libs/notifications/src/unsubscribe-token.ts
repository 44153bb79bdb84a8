import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '@referloop/common';
import { derivedKey } from '@referloop/identity';

const PURPOSE = 'patient unsubscribe v1';

function mac(serverSecret: string, consentId: string): Buffer {
  return createHmac('sha256', derivedKey(serverSecret, PURPOSE)).update(consentId).digest();
}

/**
 * The opaque token of a patient's one-click unsubscribe: the consent's id (16 bytes) and an HMAC of it
 * under a key of its own. It names no patient and unlocks one thing only: revoking that consent.
 */
export function unsubscribeToken(serverSecret: string, consentId: string): string {
  const id = Buffer.from(consentId.replace(/-/g, ''), 'hex');
  return Buffer.concat([id, mac(serverSecret, consentId)]).toString('base64url');
}

/** The consent a token names, or null when it is not one of ours. */
export function consentOfUnsubscribeToken(serverSecret: string, token: string): string | null {
  if (!/^[A-Za-z0-9_-]{64}$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 48) return null;
  const hex = bytes.subarray(0, 16).toString('hex');
  const consentId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  if (!isUuid(consentId)) return null;
  return timingSafeEqual(bytes.subarray(16), mac(serverSecret, consentId)) ? consentId : null;
}

/** The one-click unsubscribe address (RFC 8058): the API's, under PUBLIC_URL. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/api/v1/unsubscribe/${token}`;
}
