import { createSecretKey, randomBytes } from 'node:crypto';
import { sign, type SignOptions } from 'jsonwebtoken';
import { AccessTokenVerifier, verifyAccessToken } from './access-token';

const secret = randomBytes(32).toString('hex');
const check = { key: createSecretKey(Buffer.from(secret)), issuer: 'referloop', audience: 'referloop-api' };
const claims = { sub: 'user-1', cid: 'clinic-1', role: 'clinic_admin', sid: 'session-1' };
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signed with jsonwebtoken as the API signs its tokens, `extra` claims and `options` on top; no expiry unless given. */
const signed = (extra: object = {}, options: SignOptions = {}, key = secret) =>
  sign({ ...claims, ...extra }, key, { algorithm: 'HS256', issuer: 'referloop', audience: 'referloop-api', ...options });
/** A token exactly as the API issues them (5-minute expiry). */
const issued = (options: SignOptions = {}, key = secret) => signed({}, { expiresIn: 300, ...options }, key);

describe('verifyAccessToken', () => {
  it('answers the claims of a token the API issued', () => {
    expect(verifyAccessToken(issued(), check)).toMatchObject({ ...claims, iss: 'referloop', aud: 'referloop-api' });
  });

  it('accepts the audience among several', () => {
    expect(verifyAccessToken(issued({ audience: ['other', 'referloop-api'] }), check)).toMatchObject(claims);
  });

  it.each([
    ['expired', () => signed({ iat: nowSeconds() - 3600, exp: nowSeconds() - 1 })],
    ['expiring this second', () => signed({ exp: nowSeconds() })],
    ['without an expiry', () => signed()],
    ['not active yet', () => signed({ exp: nowSeconds() + 300, nbf: nowSeconds() + 60 })],
    ['signed with another key', () => issued({}, randomBytes(32).toString('hex'))],
    ['signed with HS512', () => issued({ algorithm: 'HS512' })],
    ['from another issuer', () => issued({ issuer: 'evil' })],
    ['for another audience', () => issued({ audience: 'someone-else' })],
    [
      'alg: none',
      () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.`,
    ],
    [
      'with a tampered payload',
      () => {
        const [header, , signature] = issued().split('.');
        return `${header}.${b64({ ...claims, cid: 'clinic-2', iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.${signature}`;
      },
    ],
    ['with a character appended to the signature', () => `${issued()}A`],
    ['of four segments', () => `${issued()}.e30`],
    ['that is not a JWT', () => 'not-a-jwt'],
    ['whose payload is not an object', () => sign('[1]', secret, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'JWT' } })],
  ])('refuses a token %s', (_label, make) => {
    expect(verifyAccessToken(make(), check)).toBeUndefined();
  });
});

describe('AccessTokenVerifier', () => {
  it('answers the same claims the second time and still refuses the token once it has expired', () => {
    const verifier = new AccessTokenVerifier(check);
    const token = issued();
    const exp = (verifier.verify(token) as { exp: number }).exp;
    expect(verifier.verify(token)).toMatchObject(claims);
    expect(verifier.verify(token, exp * 1000)).toBeUndefined();
    expect(verifier.verify(token, (exp - 1) * 1000)).toMatchObject(claims);
  });

  it('refuses a tampered token every time, also after the genuine one was verified', () => {
    const verifier = new AccessTokenVerifier(check);
    const token = issued();
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64({ ...claims, cid: 'clinic-2', iss: 'referloop', aud: 'referloop-api', exp: nowSeconds() + 300 })}.${signature}`;
    expect(verifier.verify(token)).toMatchObject(claims);
    expect(verifier.verify(forged)).toBeUndefined();
    expect(verifier.verify(forged)).toBeUndefined();
    expect(verifier.verify(`${token}A`)).toBeUndefined();
  });

  it('keeps verifying correctly when more tokens come than it remembers', () => {
    const verifier = new AccessTokenVerifier(check, 2);
    const tokens = [1, 2, 3, 4, 5].map((n) => signed({ sid: `session-${n}` }, { expiresIn: 300 }));
    for (const token of [...tokens, ...tokens]) expect(verifier.verify(token)).toMatchObject({ sub: 'user-1' });
    expect(verifier.verify(issued({}, randomBytes(32).toString('hex')))).toBeUndefined();
  });
});
