import { createHmac, randomUUID } from 'node:crypto';
import { derivedKey, invitationToken, retriableRefreshSecret, sha256 } from './secret-token';

const SECRET = 'a-very-long-signing-secret-of-at-least-32-chars';

describe('invitation tokens', () => {
  it('are the same for the same invitation and secret (the worker rebuilds the link from the id)', () => {
    const id = randomUUID();
    expect(invitationToken(SECRET, id, 1)).toBe(invitationToken(SECRET, id, 1));
    expect(invitationToken(SECRET, id, 1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(invitationToken(SECRET, randomUUID(), 1)).not.toBe(invitationToken(SECRET, id, 1));
    expect(invitationToken(`${SECRET}x`, id, 1)).not.toBe(invitationToken(SECRET, id, 1));
  });

  it('are made with a key derived for invitations, not with the JWT signing key itself', () => {
    const id = randomUUID();
    const underJwtKey = (message: string) => createHmac('sha256', SECRET).update(message).digest('base64url');
    expect([underJwtKey(id), underJwtKey(`referloop-invitation:${id}`)]).not.toContain(invitationToken(SECRET, id, 1));
    const key = derivedKey(SECRET, 'invitation token v1');
    expect(key).toHaveLength(32);
    expect(key.equals(Buffer.from(SECRET))).toBe(false);
    expect(createHmac('sha256', key).update(id).digest('base64url')).toBe(invitationToken(SECRET, id, 1));
    expect(derivedKey(SECRET, 'another purpose').equals(key)).toBe(false);
  });

  it('change with the version, so a resent invitation kills the previous link', () => {
    const id = randomUUID();
    expect(invitationToken(SECRET, id, 2)).not.toBe(invitationToken(SECRET, id, 1));
    expect(invitationToken(SECRET, id, 3)).not.toBe(invitationToken(SECRET, id, 2));
  });
});

describe('retriable refresh secrets', () => {
  it('are the same for one token id and retry key, and differ with either, with the server secret, and from an invitation token', () => {
    const id = randomUUID();
    const keyHash = sha256('refresh-1');
    const secret = retriableRefreshSecret(SECRET, id, keyHash);
    expect(retriableRefreshSecret(SECRET, id, keyHash)).toBe(secret);
    expect(
      new Set([
        secret,
        retriableRefreshSecret(SECRET, randomUUID(), keyHash),
        retriableRefreshSecret(SECRET, id, sha256('refresh-2')),
        retriableRefreshSecret(`${SECRET}x`, id, keyHash),
        invitationToken(SECRET, id, 1),
      ]).size,
    ).toBe(5);
  });
});
