import { consentOfUnsubscribeToken, unsubscribeToken } from './unsubscribe-token';

describe('unsubscribe token', () => {
  const secret = 'a-server-secret-of-at-least-32-characters';
  const consentId = '3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b';

  it('names its consent, under this secret only, and any change to it is refused', () => {
    const token = unsubscribeToken(secret, consentId);
    expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(consentOfUnsubscribeToken(secret, token)).toBe(consentId);
    expect(consentOfUnsubscribeToken('another-server-secret-of-32-characters', token)).toBeNull();
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    expect(consentOfUnsubscribeToken(secret, flipped)).toBeNull();
    expect(consentOfUnsubscribeToken(secret, token.slice(1))).toBeNull();
    expect(consentOfUnsubscribeToken(secret, 'not a token')).toBeNull();
  });
});
