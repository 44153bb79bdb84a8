import { createHmac, randomUUID } from 'node:crypto';
import { invitationToken, purposeKey } from './secret-token';

const SECRET = 'a-very-long-signing-secret-of-at-least-32-chars';

describe('invitation tokens', () => {
  it('are the same for the same invitation and secret (the worker rebuilds the link from the id)', () => {
    const id = randomUUID();
    expect(invitationToken(SECRET, id)).toBe(invitationToken(SECRET, id));
    expect(invitationToken(SECRET, id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(invitationToken(SECRET, randomUUID())).not.toBe(invitationToken(SECRET, id));
    expect(invitationToken(`${SECRET}x`, id)).not.toBe(invitationToken(SECRET, id));
  });

  it('are made with a key derived for invitations, not with the JWT signing key itself', () => {
    const id = randomUUID();
    const underJwtKey = (message: string) => createHmac('sha256', SECRET).update(message).digest('base64url');
    expect([underJwtKey(id), underJwtKey(`referloop-invitation:${id}`)]).not.toContain(invitationToken(SECRET, id));
    const key = purposeKey(SECRET, 'referloop invitation token v1');
    expect(key).toHaveLength(32);
    expect(key.equals(Buffer.from(SECRET))).toBe(false);
    expect(createHmac('sha256', key).update(id).digest('base64url')).toBe(invitationToken(SECRET, id));
    expect(purposeKey(SECRET, 'another purpose').equals(key)).toBe(false);
  });
});
